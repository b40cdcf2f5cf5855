"""Git submodules, checked out as Read the Docs does (``submodules`` in .readthedocs.yaml), but safely.

Git runs here in the worker with the worker's trust, the same as the main clone, and before any of the
project's code (``post_checkout``) has run, so the checkout's ``.git/config`` is still the one Docshelf
wrote. The repository, though, decides where its submodules come from, so every URL is checked with the
project URL's own rule (``vcs.check_url``: no private networks, no ``ext::``, local paths only below
``DOCSHELF_LOCAL_REPOSITORY_ROOTS``) before anything is fetched. Relative URLs are resolved first exactly
as git resolves them, because ``../../../other-host/x`` can name another host; the checked URL is then
pinned in ``.git/config`` so git fetches precisely what was checked. ``recursive`` goes one level at a
time for the same reason (never ``--recursive``), so nested URLs are checked too.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass

from app.safety.local_repositories import RepositoryRules
from app.safety.url_credentials import masked
from workers.config import ALL, Submodules
from workers.recorder import BuildFailed, Recorder
from workers.vcs import check_url

#: Levels of nested submodules followed with ``recursive: true`` (a repository can include itself).
MAX_DEPTH = 5
GITLINK_MODE = "160000"


@dataclass(frozen=True)
class Submodule:
    name: str
    path: str  # relative to the repository whose .gitmodules lists it
    url: str  # as written in .gitmodules (may be relative: ./x, ../x)


def _git(args: list[str], cwd: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """An unrecorded local git query (no network); the caller looks at the exit code."""
    try:
        return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise BuildFailed(f"git {args[0]} took longer than 60 s.") from exc


def read_gitmodules(repo_dir: str, env: dict[str, str]) -> list[Submodule]:
    """The submodules ``.gitmodules`` lists (those with a path), in file order; [] without the file."""
    path = os.path.join(repo_dir, ".gitmodules")
    if os.path.islink(path):
        raise BuildFailed(".gitmodules is a symbolic link; Docshelf reads submodules only from a regular "
                          "file.")
    if not os.path.lexists(path):
        return []
    if not os.path.isfile(path):
        raise BuildFailed(".gitmodules is not a regular file.")
    result = _git(["config", "--no-includes", "--null", "--file", path, "--get-regexp",
                   r"^submodule\..*\.(path|url)$"], repo_dir, env)
    if result.returncode == 1:  # no matching keys
        return []
    if result.returncode != 0:
        raise BuildFailed(f".gitmodules cannot be read: {result.stderr.strip()[-300:]}")
    found: dict[str, dict[str, str]] = {}
    for entry in result.stdout.split("\0"):
        key, _, value = entry.partition("\n")
        if not key.startswith("submodule."):
            continue
        name, _, field = key[len("submodule."):].rpartition(".")
        found.setdefault(name, {})[field] = value
    return [Submodule(name, values["path"].rstrip("/"), values.get("url", ""))
            for name, values in found.items() if values.get("path")]


def select(available: list[Submodule], settings: Submodules) -> list[Submodule]:
    """Read the Docs' choice: exclude ``all`` → none; an exclude list → the others; include → those."""
    if settings.exclude == ALL:
        return []
    if settings.exclude:
        return [s for s in available if s.path not in settings.exclude]
    if settings.include == ALL:
        return list(available)
    by_path = {s.path: s for s in available}
    missing = [p for p in settings.include if p not in by_path]
    if missing:
        listed = ", ".join(by_path) or "none"
        raise BuildFailed(f"submodules.include names '{missing[0]}', but .gitmodules has no submodule at "
                          f"that path (it lists: {listed}).")
    return [by_path[p] for p in settings.include]


def resolve_url(base: str, url: str) -> str:
    """``url`` as git resolves a submodule URL against the superproject's remote ``base``.

    Only ``./`` and ``../`` URLs are relative. Each ``../`` drops the last ``/`` component of the base (or,
    for scp-like ``host:path``, the part after the last ``:``), so enough of them climb out of the path.
    """
    if not url.startswith(("./", "../")):
        return url
    remote = base[:-1] if base.endswith("/") else base
    colon = False
    while True:
        if url.startswith("../"):
            url = url[3:]
            slash, sep = remote.rfind("/"), remote.rfind(":")
            if slash >= 0:
                remote = remote[:slash]
            elif sep >= 0:
                remote, colon = remote[:sep], True
            else:
                raise ValueError(f"cannot resolve it against {masked(base)}")
        elif url.startswith("./"):
            url = url[2:]
        else:
            break
    resolved = remote + (":" if colon else "/") + url
    return resolved[:-1] if url.endswith("/") else resolved


def path_problem(repo_dir: str, sub: Submodule) -> str | None:
    """Why this submodule's name or path could escape the checkout or confuse git, or None."""
    for what, value in (("name", sub.name), ("path", sub.path)):
        parts = value.split("/")
        if (value.startswith(("-", "/")) or any(p in ("", ".", "..") or p.lower() == ".git" for p in parts)
                or any(ord(c) < 32 or ord(c) == 127 for c in value)):
            return f"its {what} {value!r} is not a plain path inside the repository"
    current = repo_dir
    for part in sub.path.split("/"):
        current = os.path.join(current, part)
        if os.path.islink(current):
            return f"'{part}' in its path is a symbolic link"
    return None


def _gitlinks(repo_dir: str, paths: list[str], env: dict[str, str]) -> set[str]:
    """Which of ``paths`` are submodules (gitlinks) in the checked-out commit."""
    result = _git(["ls-files", "--stage", "-z", "--", *paths], repo_dir, env)
    if result.returncode != 0:
        raise BuildFailed(f"git ls-files failed: {result.stderr.strip()[-300:]}")
    links = set()
    for entry in result.stdout.split("\0"):
        meta, _, name = entry.partition("\t")
        if meta.split(" ")[0] == GITLINK_MODE:
            links.add(name)
    return links


def update(rec: Recorder, checkout: str, repo_url: str, settings: Submodules, env: dict[str, str],
           rules: RepositoryRules) -> None:
    """Check out the submodules ``settings`` selects (and, when recursive, theirs), URLs checked first."""
    env = dict(env, GIT_LITERAL_PATHSPECS="1")  # a path from .gitmodules is a path, never a pattern
    available = read_gitmodules(checkout, env)
    chosen = select(available, settings)
    if not chosen:
        if available and not settings.include:
            listed = ", ".join(s.path for s in available)
            rec.note("# git submodule", f"This repository has submodules ({listed}); none is checked out, as "
                     "on Read the Docs, because .readthedocs.yaml does not ask for them (submodules.include)."
                     "\n", description="Submodules")
        return
    level = [(checkout, repo_url, chosen)]
    for depth in range(MAX_DEPTH + 1):
        if depth == MAX_DEPTH:
            raise BuildFailed(f"Submodules nest more than {MAX_DEPTH} levels deep; Docshelf stops there.")
        fetched: list[tuple[str, str]] = []
        for repo_dir, base_url, subs in level:
            fetched += _update_repo(rec, checkout, repo_dir, base_url, subs, env, rules)
        if not settings.recursive:
            return
        level = []
        for sub_dir, sub_url in fetched:
            nested = read_gitmodules(sub_dir, env)
            if nested:
                level.append((sub_dir, sub_url, nested))
        if not level:
            return


def _update_repo(rec: Recorder, checkout: str, repo_dir: str, base_url: str, subs: list[Submodule],
                 env: dict[str, str], rules: RepositoryRules) -> list[tuple[str, str]]:
    """Check every URL of one repository's selected submodules, then fetch them all with one git command."""
    where = os.path.relpath(repo_dir, checkout)
    shown = {s.path: os.path.normpath(os.path.join(where, s.path)) for s in subs}
    links = _gitlinks(repo_dir, [s.path for s in subs], env)
    lines: list[str] = []
    ready: list[tuple[Submodule, str]] = []
    for sub in subs:
        if sub.path not in links:
            lines.append(f"{shown[sub.path]}: listed in .gitmodules but not a submodule in this commit; "
                         "skipped.")
            continue
        url, problem = sub.url, path_problem(repo_dir, sub)
        if problem is None:
            try:
                url = resolve_url(base_url, sub.url) if sub.url else ""
                problem = check_url(url, rules) if url else "it has no url in .gitmodules"
            except ValueError as exc:
                problem = f"its relative url {sub.url!r} is not usable: {exc}"
        if problem:
            message = (f"The submodule '{shown[sub.path]}' cannot be checked out from {masked(url)}: "
                       f"{problem}")
            rec.note(f"# git submodule {shown[sub.path]}", "\n".join([*lines, message]) + "\n",
                     description="Submodules", exit_code=1)
            raise BuildFailed(message)
        ready.append((sub, url))
        lines.append(f"{shown[sub.path]}: {masked(url)}")
    rec.note("# git submodule", "\n".join(lines) + "\n", description="Submodules")
    if not ready:
        return []
    for sub, url in ready:  # pinned: git init keeps a url that is already configured
        pinned = _git(["config", f"submodule.{sub.name}.url", url], repo_dir, env)
        if pinned.returncode != 0:
            raise BuildFailed(f"Recording the submodule '{shown[sub.path]}' failed: {pinned.stderr.strip()}")
    paths = [sub.path for sub, _url in ready]
    # git >= 2.38 refuses file:// for submodules by default; GIT_ALLOW_PROTOCOL (git_env) already decides,
    # this only keeps local submodules working for a caller whose env has no allow-list.
    allow = ["-c", "protocol.file.allow=always"] if rules.local_paths else []
    argv = ["git", *allow, "submodule", "update", "--init", "--force", "--checkout", "--", *paths]
    prefix = "" if where == "." else f"-C {shlex.quote(where)} "
    result = rec.run(argv, cwd=repo_dir, env=env, description="Checking out submodules", check=False,
                     display=f"git {prefix}submodule update --init --force -- {shlex.join(paths)}")
    if result.exit_code != 0:
        names = ", ".join(shown[p] for p in paths)
        raise BuildFailed(f"Checking out the submodules ({names}) failed; the build log shows git's output.")
    return [(os.path.join(repo_dir, sub.path), url) for sub, url in ready]
