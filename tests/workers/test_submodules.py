"""``submodules`` in .readthedocs.yaml: Read the Docs' selection; each URL checked before anything is fetched.

Real git repositories on disk; local paths are allowed as submodule URLs only where the test says so.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from app.safety.local_repositories import RepositoryRules
from tests import factories
from tests.workers.conftest import GIT_ENV, Repo, fresh, work
from tests.workers.test_end_to_end import read, site, trigger
from workers.config import ALL, Submodules
from workers.process import Limits, base_environment
from workers.recorder import BuildFailed, Recorder
from workers.submodules import Submodule, path_problem, read_gitmodules, resolve_url, select, update
from workers.vcs import git_env


def local_rules(root: Path) -> RepositoryRules:
    """Local repositories below the test's own directory, as DOCSHELF_LOCAL_REPOSITORY_ROOTS allows them."""
    return RepositoryRules(private_hosts=True, local_roots=(str(root),))


def commit_with_links(repo: Repo, files: dict[str, str], links: dict[str, str], message: str = "x") -> str:
    """Commit files plus gitlinks (path → submodule commit); ``Repo.commit``'s ``add --all`` drops those."""
    for name, text in files.items():
        (repo.path / name).parent.mkdir(parents=True, exist_ok=True)
        (repo.path / name).write_text(text)
    repo.git("add", "--all")
    for path, sha in links.items():
        repo.git("update-index", "--add", "--cacheinfo", f"160000,{sha},{path}")
    repo.git("commit", "--quiet", "-m", message)
    return repo.sha()


def gitmodules(*entries: tuple[str, str, str]) -> str:
    """.gitmodules text for (name, path, url) entries."""
    return "".join(f'[submodule "{name}"]\n\tpath = {path}\n\turl = {url}\n' for name, path, url in entries)


@pytest.fixture
def repos(tmp_path: Path) -> dict[str, Repo]:
    """lib (with a nested submodule ``inner``), theme, and a superproject using both via relative URLs."""
    inner = Repo(tmp_path / "inner")
    inner_sha = inner.commit({"INNER.txt": "from inner\n"})
    lib = Repo(tmp_path / "lib")
    lib_files = {"LIB.txt": "from lib\n", ".gitmodules": gitmodules(("in", "in", "../inner"))}
    lib_sha = commit_with_links(lib, lib_files, {"in": inner_sha})
    theme = Repo(tmp_path / "theme")
    theme_sha = theme.commit({"THEME.txt": "from theme\n"})
    top = Repo(tmp_path / "top")
    commit_with_links(top, {"README": "top\n", ".gitmodules": gitmodules(("lib", "ext/lib", "../lib"),
                                                                         ("theme", "ext/theme", "../theme"))},
                      {"ext/lib": lib_sha, "ext/theme": theme_sha})
    return {"inner": inner, "lib": lib, "theme": theme, "top": top}


def env_for(tmp_path: Path, allow_local: bool) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return git_env(base_environment(home=str(home), tmpdir=str(tmp_path)), allow_local)


def clone(repo: Repo, tmp_path: Path, origin: str | None = None) -> str:
    """A build checkout of ``repo`` whose origin is ``origin`` (the project URL), as vcs.checkout does."""
    dest = str(tmp_path / "checkout")
    subprocess.run(["git", "clone", "--quiet", "--", repo.url, dest], check=True,
                   env=dict(GIT_ENV, HOME=dest))
    if origin:
        subprocess.run(["git", "remote", "set-url", "origin", origin], cwd=dest, check=True, env=GIT_ENV)
    return dest


@pytest.fixture
def rec() -> Recorder:
    """The real build recorder, on a build row, so the log can be read back."""
    build = factories.BuildFactory(state="cloning", success=None)
    return Recorder(build.id, 120, Limits(timeout=120))  # type: ignore[attr-defined]


def log_of(rec: Recorder) -> list[tuple[str, str, int | None]]:
    build = fresh(rec.build_id)
    return [(c.command, c.output, c.exit_code) for c in build.commands]


def populated(checkout: str, path: str) -> bool:
    full = os.path.join(checkout, path)
    return os.path.isdir(full) and bool(os.listdir(full))


# -- selection, as Read the Docs selects ------------------------------------------------------------------

AVAILABLE = [Submodule("a", "a", "u"), Submodule("b", "lib/b", "u"), Submodule("c", "c", "u")]


@pytest.mark.parametrize(("settings", "paths"), [
    (Submodules(), []),  # Read the Docs' default: none
    (Submodules(include=ALL, exclude=[]), ["a", "lib/b", "c"]),
    (Submodules(include=["c", "a"], exclude=[]), ["c", "a"]),
    (Submodules(include=[], exclude=["lib/b"]), ["a", "c"]),
    (Submodules(include=[], exclude=["not-there"]), ["a", "lib/b", "c"]),
    (Submodules(include=[], exclude=ALL), []),
    (Submodules(include=[], exclude=[]), []),
])
def test_selection(settings, paths):
    assert [s.path for s in select(AVAILABLE, settings)] == paths


def test_including_a_path_that_is_not_a_submodule_fails_clearly():
    with pytest.raises(BuildFailed, match="submodules.include names 'lib', but .gitmodules has no "
                                          "submodule at that path"):
        select(AVAILABLE, Submodules(include=["lib"], exclude=[]))


# -- relative URLs resolve exactly as git resolves them ----------------------------------------------------

@pytest.mark.parametrize(("base", "url", "expected"), [
    ("https://github.com/org/docs.git", "../lib.git", "https://github.com/org/lib.git"),
    ("https://github.com/org/docs.git/", "../lib.git", "https://github.com/org/lib.git"),
    ("https://github.com/org/docs.git", "./lib", "https://github.com/org/docs.git/lib"),
    ("https://github.com/org/docs.git", "../../other/lib/", "https://github.com/other/lib"),
    ("https://github.com/org/docs.git", "../../../169.254.169.254/x.git", "https://169.254.169.254/x.git"),
    ("git@github.com:org/docs.git", "../lib.git", "git@github.com:org/lib.git"),
    ("git@github.com:docs.git", "../lib.git", "git@github.com:lib.git"),
    ("/srv/repos/docs", "../lib", "/srv/repos/lib"),
    ("https://github.com/org/docs.git", "https://gitlab.com/x/y.git", "https://gitlab.com/x/y.git"),
])
def test_relative_urls(base, url, expected, tmp_path):
    assert resolve_url(base, url) == expected
    if not url.startswith("."):
        return
    # The same answer as git's own ``git submodule init`` (which only writes the URL; nothing is fetched).
    repo = Repo(tmp_path / "agree")
    commit_with_links(repo, {".gitmodules": gitmodules(("s", "s", url))}, {"s": "1" * 40})
    repo.git("remote", "add", "origin", base)
    repo.git("submodule", "init", "--", "s")
    assert repo.git("config", "submodule.s.url") == expected


@pytest.mark.parametrize(("name", "path", "problem"), [
    ("ok", "ext/ok", None),
    ("../../hooks", "ext/x", "its name '../../hooks'"),
    ("x", "../outside", "its path '../outside'"),
    ("x", "-rf", "its path '-rf'"),
    ("x", "/etc", "its path '/etc'"),
    ("x", "a/.git/hooks", "its path 'a/.git/hooks'"),
    ("x", "link/sub", "'link' in its path is a symbolic link"),
])
def test_paths_must_stay_plain_and_inside(tmp_path, name, path, problem):
    os.symlink("/tmp", tmp_path / "link")
    found = path_problem(str(tmp_path), Submodule(name, path, "u"))
    assert (found is None) if problem is None else (problem in (found or ""))


def test_a_symlinked_gitmodules_is_refused(tmp_path):
    (tmp_path / "real").write_text(gitmodules(("x", "x", "../x")))
    os.symlink("real", tmp_path / ".gitmodules")
    with pytest.raises(BuildFailed, match="symbolic link"):
        read_gitmodules(str(tmp_path), env_for(tmp_path, True))


# -- checking out, with real repositories ------------------------------------------------------------------

def test_include_one_submodule(repos, tmp_path, rec):
    checkout = clone(repos["top"], tmp_path, origin=repos["top"].url)
    update(rec, checkout, repos["top"].url, Submodules(include=["ext/lib"], exclude=[]),
           env_for(tmp_path, True), rules=local_rules(tmp_path))
    assert read(os.path.join(checkout, "ext/lib/LIB.txt")) == "from lib\n"
    assert not populated(checkout, "ext/theme")
    assert not populated(checkout, "ext/lib/in")  # not recursive
    commands = [command for command, _output, _code in log_of(rec)]
    assert commands == ["# git submodule", "git submodule update --init --force -- ext/lib"]


def test_exclude_and_all(repos, tmp_path, rec):
    env = env_for(tmp_path, True)
    checkout = clone(repos["top"], tmp_path / "one", origin=repos["top"].url)
    update(rec, checkout, repos["top"].url, Submodules(include=[], exclude=["ext/lib"]), env,
           rules=local_rules(tmp_path))
    assert populated(checkout, "ext/theme") and not populated(checkout, "ext/lib")
    checkout = clone(repos["top"], tmp_path / "two", origin=repos["top"].url)
    update(rec, checkout, repos["top"].url, Submodules(include=ALL, exclude=[]), env, local_rules(tmp_path))
    assert populated(checkout, "ext/theme") and populated(checkout, "ext/lib")


def test_default_checks_out_nothing_and_says_so(repos, tmp_path, rec):
    checkout = clone(repos["top"], tmp_path, origin=repos["top"].url)
    update(rec, checkout, repos["top"].url, Submodules(), env_for(tmp_path, True), local_rules(tmp_path))
    assert not populated(checkout, "ext/lib") and not populated(checkout, "ext/theme")
    [(command, output, code)] = log_of(rec)
    assert "has submodules (ext/lib, ext/theme); none is checked out" in output and code == 0


def test_recursive_goes_level_by_level(repos, tmp_path, rec):
    checkout = clone(repos["top"], tmp_path, origin=repos["top"].url)
    update(rec, checkout, repos["top"].url, Submodules(include=["ext/lib"], exclude=[], recursive=True),
           env_for(tmp_path, True), rules=local_rules(tmp_path))
    assert read(os.path.join(checkout, "ext/lib/in/INNER.txt")) == "from inner\n"
    commands = [command for command, _output, _code in log_of(rec)]
    assert commands == ["# git submodule", "git submodule update --init --force -- ext/lib",
                        "# git submodule", "git -C ext/lib submodule update --init --force -- in"]
    # Each level's URL was resolved against its own parent (lib's origin), then pinned and checked.
    assert log_of(rec)[2][1].strip() == f"ext/lib/in: {repos['inner'].url}"


def test_a_refused_url_fails_before_anything_is_fetched(repos, tmp_path, rec, app, monkeypatch):
    from tests.conftest import TEST_DNS

    monkeypatch.setitem(TEST_DNS, "github.com", ["140.82.121.4"])
    top = Repo(tmp_path / "hostile")
    commit_with_links(top, {".gitmodules": gitmodules(("good", "good", "https://github.com/org/good.git"),
                                                      ("meta", "meta", "http://169.254.169.254/latest.git"))},
                      {"good": "1" * 40, "meta": "2" * 40})
    checkout = clone(top, tmp_path, origin="https://github.com/org/docs.git")
    with pytest.raises(BuildFailed) as failure:
        update(rec, checkout, "https://github.com/org/docs.git", Submodules(include=ALL, exclude=[]),
               env_for(tmp_path, False), rules=RepositoryRules())
    assert failure.value.message.startswith("The submodule 'meta' cannot be checked out from "
                                            "http://169.254.169.254/latest.git: ")
    assert "link-local or cloud metadata" in failure.value.message
    assert not os.path.exists(os.path.join(checkout, ".git", "modules"))  # not even the good one
    [(command, output, code)] = log_of(rec)
    assert command == "# git submodule meta" and code == 1
    assert "good: https://github.com/org/good.git" in output


def test_a_relative_url_climbing_to_another_host_is_checked_where_it_lands(tmp_path, rec, app):
    top = Repo(tmp_path / "climb")
    climbing = gitmodules(("x", "x", "../../../127.0.0.1:6379/x.git"))
    commit_with_links(top, {".gitmodules": climbing}, {"x": "1" * 40})
    checkout = clone(top, tmp_path, origin="https://github.com/org/docs.git")
    with pytest.raises(BuildFailed, match=r"'x' cannot be checked out from https://127\.0\.0\.1:6379/x\.git"):
        update(rec, checkout, "https://github.com/org/docs.git", Submodules(include=ALL, exclude=[]),
               env_for(tmp_path, False), rules=RepositoryRules())


def test_a_hostile_nested_url_is_refused_before_it_is_fetched(repos, tmp_path, rec):
    marker = tmp_path / "pwned"
    lib = repos["lib"]
    commit_with_links(lib, {".gitmodules": gitmodules(("in", "in", f"ext::sh -c touch% {marker}"))},
                      {"in": repos["inner"].sha()}, "hostile nested submodule")
    top = Repo(tmp_path / "top2")
    commit_with_links(top, {".gitmodules": gitmodules(("lib", "lib", lib.url))}, {"lib": lib.sha()})
    checkout = clone(top, tmp_path, origin=top.url)
    with pytest.raises(BuildFailed, match="'lib/in' cannot be checked out from ext::sh -c touch% .*: The "):
        update(rec, checkout, top.url, Submodules(include=ALL, exclude=[], recursive=True),
               env_for(tmp_path, True), rules=local_rules(tmp_path))
    assert populated(checkout, "lib") and not populated(checkout, "lib/in") and not marker.exists()


def test_remote_helper_urls_are_refused_even_with_local_repositories_allowed(tmp_path, rec):
    top = Repo(tmp_path / "helper")
    commit_with_links(top, {".gitmodules": gitmodules(("x", "x", "ext::/bin/sh"))}, {"x": "1" * 40})
    checkout = clone(top, tmp_path, origin=top.url)
    with pytest.raises(BuildFailed, match="'x' cannot be checked out from ext::/bin/sh: Git remote-helper"):
        update(rec, checkout, top.url, Submodules(include=["x"], exclude=[]), env_for(tmp_path, True),
               rules=local_rules(tmp_path))


def test_local_submodules_need_local_repositories_allowed(repos, tmp_path, rec):
    checkout = clone(repos["top"], tmp_path, origin=repos["top"].url)
    with pytest.raises(BuildFailed, match=r"'ext/lib' cannot be checked out from .*Local repositories \("):
        update(rec, checkout, repos["top"].url, Submodules(include=["ext/lib"], exclude=[]),
               env_for(tmp_path, False), rules=RepositoryRules())


def test_a_submodule_in_docshelfs_data_directory_is_refused_even_below_a_root(tmp_path, rec):
    """A hostile repository naming another project's cache (``<data dir>/repos/<id>``) as a submodule."""
    cache = Repo(tmp_path / "data" / "repos" / "7")
    secret = cache.commit({"SECRET.txt": "another project's private docs\n"})
    top = Repo(tmp_path / "hostile")
    commit_with_links(top, {".gitmodules": gitmodules(("s", "s", f"file://{cache.path}"))}, {"s": secret})
    checkout = clone(top, tmp_path, origin=top.url)
    rules = RepositoryRules(True, local_roots=(str(tmp_path),), forbidden=(str(tmp_path / "data"),))
    with pytest.raises(BuildFailed, match="'s' cannot be checked out from .*data or storage directory"):
        update(rec, checkout, top.url, Submodules(include=["s"], exclude=[]), env_for(tmp_path, True), rules)
    assert not populated(checkout, "s")


# -- through a real build ----------------------------------------------------------------------------------

SUBMODULE_BUILD = """version: 2
submodules:
  include: [ext/lib]
  recursive: true
build:
  commands:
    - mkdir -p $READTHEDOCS_OUTPUT/html
    - cat ext/lib/LIB.txt ext/lib/in/INNER.txt > $READTHEDOCS_OUTPUT/html/index.html
    - test ! -e ext/theme/THEME.txt
"""


def test_a_build_checks_out_the_selected_submodules(app, client, user, headers, repos):
    top = repos["top"]
    commit_with_links(top, {".readthedocs.yaml": SUBMODULE_BUILD},
                      {"ext/lib": repos["lib"].sha(), "ext/theme": repos["theme"].sha()})
    factories.ProjectFactory(name="Subs", slug="subs", repository_url=top.url, maintainers=[user])
    build_id = trigger(client, headers, "subs", "latest")
    work()
    build = fresh(build_id)
    assert (build.state, build.success) == ("finished", True), build.error
    assert read(site(app, "subs", "latest", "html", "index.html")) == "from lib\nfrom inner\n"
    commands = [c.command for c in build.commands]
    update_at = commands.index("git submodule update --init --force -- ext/lib")
    assert commands.index("cat .readthedocs.yaml") < update_at
    assert (build.config or {})["submodules"] == {"include": ["ext/lib"], "exclude": [], "recursive": True}


def test_a_build_with_a_refused_submodule_url_fails_and_fetches_nothing(app, client, user, headers, repos,
                                                                          tmp_path):
    marker = tmp_path / "pwned"
    top = Repo(tmp_path / "evil")
    commit_with_links(top, {".readthedocs.yaml": "version: 2\nsubmodules:\n  include: all\n",
                            "docs/conf.py": "", "docs/index.rst": "x\n=\n",
                            ".gitmodules": gitmodules(("x", "docs/x", f"ext::sh -c touch% {marker}"))},
                      {"docs/x": repos["lib"].sha()})
    factories.ProjectFactory(name="Evil", slug="evil", repository_url=top.url, maintainers=[user])
    build_id = trigger(client, headers, "evil", "latest")
    work()
    build = fresh(build_id)
    assert (build.state, build.success) == ("finished", False)
    assert (build.error or "").startswith("The submodule 'docs/x' cannot be checked out from ext::sh -c ")
    assert not any(c.command.startswith("git submodule update") for c in build.commands)
    assert any(c.command == "# git submodule docs/x" and c.exit_code == 1 for c in build.commands)
    assert not marker.exists()
