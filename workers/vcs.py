"""git through subprocess (argument lists only): a per-project bare cache, refs, and per-build checkouts.

The cache is fetched under a file lock (two builds of a project may run at once); each build then makes
a local clone of it (hard links, so it costs almost nothing) and checks out one commit there.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from app.safety.local_repositories import RepositoryRules
from app.safety.url_credentials import masked, without_userinfo
from app.safety.urlcheck import check_repository_url
from app.services.pull_requests import PULL_REF
from app.services.sync import Ref
from workers.process import CommandResult, Limits, run_command
from workers.recorder import BuildFailed


class Runner(Protocol):
    """What runs git's network commands: the build's Recorder, or a PlainRunner outside builds."""

    def run(self, argv: list[str], *, cwd: str, env: dict[str, str], description: str = "",
            display: str | None = None, check: bool = True) -> CommandResult: ...


class PlainRunner:
    """Runs commands without a build log (the sync-versions job), with the same limits and scrubbing."""

    def __init__(self, timeout: float = 600, redact: list[str] | None = None) -> None:
        self.timeout = timeout
        self.redact = [r for r in redact or [] if r]  # credentials: the failure becomes a notification

    def run(self, argv: list[str], *, cwd: str, env: dict[str, str], description: str = "",
            display: str | None = None, check: bool = True) -> CommandResult:
        result = run_command(argv, cwd=cwd, env=env, limits=Limits(timeout=self.timeout))
        if check and result.exit_code != 0:
            message = f"{display or argv[0]} failed: {result.output.strip()[-500:]}"
            for secret in self.redact:
                message = message.replace(secret, "***")
            raise BuildFailed(message)
        return result
def check_url(url: str, rules: RepositoryRules) -> str | None:
    """Why this repository URL may not be cloned, or None when it may.

    The same rules as at project creation (``app.safety.urlcheck``), but strict: the host is
    resolved again now, so a name re-pointed at a private address (DNS rebinding) is refused, and a
    local path is resolved again, so a link swapped in since is judged by where it points now.
    """
    return check_repository_url(url.strip(), rules, strict=True)


def git_env(base: dict[str, str], local_paths: bool) -> dict[str, str]:
    """git's environment for the worker's own fetches; ``file`` only where local roots are configured."""
    env = dict(base)
    env["GIT_ALLOW_PROTOCOL"] = "http:https:git:ssh" + (":file" if local_paths else "")
    env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new"
    return env


def _git(args: list[str], env: dict[str, str], cwd: str | None = None, timeout: float = 120) -> str:
    """An unrecorded git query (refs, HEAD); failures surface as BuildFailed."""
    try:
        out = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                             timeout=timeout, check=True)
    except subprocess.CalledProcessError as exc:
        raise BuildFailed(f"git {args[0]} failed: {exc.stderr.strip() or exc.returncode}") from exc
    except subprocess.TimeoutExpired as exc:
        raise BuildFailed(f"git {args[0]} took longer than {timeout} s.") from exc
    return out.stdout


@contextmanager
def cache_lock(cache_dir: str, wait: Callable[[], None] | None = None,
               timeout: float = 600) -> Iterator[None]:
    """Exclusive use of a project's cache; ``wait`` runs while blocked (it may raise to give up)."""
    os.makedirs(os.path.dirname(cache_dir), exist_ok=True)
    fd = os.open(cache_dir + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        give_up = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > give_up:
                    raise BuildFailed("The project's repository cache stayed busy; try again.") from None
                if wait is not None:
                    wait()
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def update_cache(rec: Runner, url: str, cache_dir: str, env: dict[str, str], workdir: str) -> None:
    """Clone the repository into the bare cache, or fetch (pruning vanished branches and tags)."""
    shown = masked(url)
    if os.path.exists(os.path.join(cache_dir, "HEAD")):
        _git(["remote", "set-url", "origin", url], env, cwd=cache_dir)
        fetch = ["git", "fetch", "--quiet", "--prune", "--force", "origin",
                 "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
        result = rec.run(fetch, cwd=cache_dir, env=env, description="Fetching", check=False,
                         display=f"git fetch --prune --force {shown}")
        if result.exit_code == 0:
            return
        shutil.rmtree(cache_dir, ignore_errors=True)  # a damaged cache: start over once
    rec.run(["git", "clone", "--quiet", "--bare", "--", url, cache_dir], cwd=workdir, env=env,
            description="Cloning", display=f"git clone --bare {shown}")


def fetch_ref(rec: Runner, url: str, cache_dir: str, ref: str, env: dict[str, str]) -> None:
    """Fetch one pull/merge request head (``refs/pull/N/head``) into the cache under its own name.

    A PR's commits (a fork's above all) are on no branch of the repository, so the cache's usual
    fetch never brings them; the ref is checked again here, as it reaches git as an argument.
    """
    if not PULL_REF.match(ref):
        raise BuildFailed(f"'{ref}' is not a pull or merge request ref.")
    rec.run(["git", "fetch", "--quiet", "--force", "origin", f"+{ref}:{ref}"], cwd=cache_dir, env=env,
            description="Fetching the pull request", display=f"git fetch {masked(url)} {ref}")


def remote_head(cache_dir: str, env: dict[str, str]) -> str | None:
    """The remote's default branch (what ``latest`` follows when the project names none)."""
    try:
        out = _git(["ls-remote", "--symref", "origin", "HEAD"], env, cwd=cache_dir, timeout=60)
    except BuildFailed:
        out = ""
    for line in out.splitlines():
        if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
            return line[len("ref: refs/heads/"):-len("\tHEAD")]
    try:
        head = _git(["symbolic-ref", "--quiet", "HEAD"], env, cwd=cache_dir).strip()
    except BuildFailed:
        return None
    return head.removeprefix("refs/heads/") or None


def list_refs(cache_dir: str, env: dict[str, str]) -> list[Ref]:
    fmt = "--format=%(refname)%09%(objectname)%09%(*objectname)"
    out = _git(["for-each-ref", fmt, "refs/heads", "refs/tags"], env, cwd=cache_dir)
    refs: list[Ref] = []
    for line in out.splitlines():
        name, obj, peeled = (line.split("\t") + ["", ""])[:3]
        if name.startswith("refs/heads/"):
            refs.append(Ref(name[len("refs/heads/"):], "branch", obj))
        elif name.startswith("refs/tags/"):
            refs.append(Ref(name[len("refs/tags/"):], "tag", peeled or obj))
    return refs


def resolve(cache_dir: str, identifier: str, type_: str, env: dict[str, str]) -> str | None:
    """The commit a version's identifier names, looking at the ref kind the version has first."""
    prefixes = {"branch": ["refs/heads/"], "tag": ["refs/tags/"]}.get(type_, [])
    for candidate in [p + identifier for p in prefixes] + [identifier]:
        try:
            return _git(["rev-parse", "--verify", "--quiet", "--end-of-options", candidate + "^{commit}"],
                        env, cwd=cache_dir).strip()
        except BuildFailed:
            continue
    return None


def checkout(rec: Runner, cache_dir: str, sha: str, dest: str, url: str, env: dict[str, str]) -> None:
    local = dict(env, GIT_ALLOW_PROTOCOL="file")  # cloning the cache is local even when remotes are not
    # --no-hardlinks: the checkout is the build's to write; a hard link would share the cache's object
    # files with it, and a build could rewrite them under every later build of the project.
    rec.run(["git", "clone", "--quiet", "--no-checkout", "--no-hardlinks", "--", cache_dir, dest],
            cwd=os.path.dirname(dest),
            env=local, description="Cloning", display=f"git clone {masked(url)} .")
    rec.run(["git", "checkout", "--quiet", "--force", sha], cwd=dest, env=local, description="Checking out")
    # Hooks that run ``git fetch`` should reach the real repository, as on Read the Docs; the build
    # may read .git/config, so the origin carries no user information (credentials never reach it).
    _git(["remote", "set-url", "origin", without_userinfo(url)], local, cwd=dest)
