"""A hostile project tries, from its conf.py and its build.jobs, every attack of issue 12 on a real worker.

Each attempt prints ``ATTACK <name>: blocked (...)`` or ``ATTACK <name>: SUCCEEDED``; the test reads the
build log and then checks the server's side: the other project's site unchanged, no RQ job ran, no
process of the build left, no secret in the published site or its downloads.
"""

from __future__ import annotations

import json
import os
import secrets
import site
import subprocess
import uuid
import zipfile
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.extensions import db, get_redis
from app.models import Build, BuildCommand
from tests import factories
from tests.workers.conftest import fresh, sphinx_files, work
from tests.workers.test_end_to_end import site as site_path
from tests.workers.test_end_to_end import trigger

ATTACKS = r'''
import json, os, socket, sys
SPEC = json.loads(%(spec)r)


def report(name, fn):
    try:
        result = fn()
    except Exception as exc:
        print(f"ATTACK {name}: blocked ({type(exc).__name__}: {exc})", flush=True)
    else:
        print(f"ATTACK {name}: SUCCEEDED ({result!r})"[:300], flush=True)


def read(path):
    with open(path, "rb") as fh:
        return fh.read(64)


def connect_tcp(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=3)
    sock.sendall(b"PING\r\n")
    return sock.recv(16)


def connect_unix(path):
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(3)
    sock.connect(path)
    sock.sendall(b"*1\r\n$4\r\nPING\r\n")
    return sock.recv(16)


def append(path):
    with open(path, "a") as fh:
        fh.write("<script>alert('owned')</script>")
    return "appended"


def write_pth():
    with open(os.path.join(SPEC["site_packages"], "zz_docshelf_owned.pth"), "w") as fh:
        fh.write("import os; os.system('touch /tmp/owned')\n")
    return "written"


def poison_tools():
    """Sphinx is the worker's own, offered to every build through the tools directory (workers.toolset):
    a change to it would run in every later build of every project."""
    import sphinx
    with open(os.path.join(os.path.dirname(sphinx.__file__), "__init__.py"), "a") as fh:
        fh.write("OWNED = True\n")
    return "appended"


def replace_tool_link():
    os.unlink(os.path.join(os.path.dirname(os.path.dirname(__import__("sphinx").__file__)), "sphinx"))
    return "unlinked"


def environ():
    """The worker's environment holds a marker; no process this build can see may show it."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/environ", "rb") as fh:
                    if SPEC["env_marker"].encode() in fh.read():
                        found.append(pid)
            except OSError:
                pass
    if found:
        return found
    return read(f"/proc/{SPEC['worker_pid']}/environ")


def data_dir():
    """Only the path down to the build's own directory exists in the sandbox, and nothing beside it."""
    top, builds = os.listdir(SPEC["data_dir"]), os.listdir(os.path.join(SPEC["data_dir"], "builds"))
    seen = top + builds
    if top != ["builds"] or len(builds) != 1:
        return seen
    raise PermissionError(f"nothing but the build's own directory: {seen}")


def daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            import time
            os.execvp("sleep", ["sleep", "300", SPEC["token"]])
        os._exit(0)
    raise RuntimeError("started; the server checks it is gone when the step ends")


report("secret key file", lambda: read(SPEC["secret_key"]))
report("database file", lambda: read(SPEC["database"]))
report("worker environ", environ)
report("other project's repository cache", lambda: os.listdir(SPEC["other_cache"]))
report("redis unix socket", lambda: connect_unix(SPEC["redis_socket"]))
report("redis tcp", lambda: connect_tcp(6379))
report("postgresql tcp", lambda: connect_tcp(5432))
report("host address", lambda: socket.create_connection((SPEC["host_address"], 5432), timeout=3))
report("cloud metadata", lambda: socket.create_connection(("169.254.169.254", 80), timeout=3))
report("other project's published page", lambda: append(SPEC["other_page"]))
report("worker site-packages", write_pth)
report("the worker's Sphinx, through the tools directory", poison_tools)
report("the tools directory's link to Sphinx", replace_tool_link)
report("data directory listing", data_dir)
report("daemon", daemon)
'''


@pytest.fixture
def victim(app, tmp_path):
    """Another user's project: a private repository cache and a published page, as a worker leaves them."""
    other = factories.ProjectFactory(name="Victim", slug="victim")
    cache = os.path.join(app.config["DATA_DIR"], "repos", str(other.id))
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, "HEAD"), "w") as fh:
        fh.write("ref: refs/heads/main\n")
    page = site_path(app, "victim", "latest", "html", "index.html")
    os.makedirs(os.path.dirname(page), exist_ok=True)
    with open(page, "w") as fh:
        fh.write("<p>the victim's page</p>")
    key = os.path.join(app.config["DATA_DIR"], "secret.key")
    if not os.path.exists(key):
        with open(key, "w") as fh:
            fh.write(secrets.token_hex(32))
    os.chmod(key, 0o600)
    with open(key) as fh:
        return {"cache": cache, "page": page, "key": key, "key_text": fh.read()}


def _log(build_id: int) -> str:
    commands = db.session.scalars(select(BuildCommand).where(BuildCommand.build_id == build_id)
                                  .order_by(BuildCommand.id))
    return "\n".join(f"$ {c.command}\n{c.output}" for c in commands)


def build_once(client, headers, user, repo_url: str, slug: str) -> tuple[Build, str]:
    """Import ``repo_url`` as ``user``'s project ``slug``, build its latest with the real engine in this
    process; returns the finished build and its log."""
    factories.ProjectFactory(name=slug.title(), slug=slug, repository_url=repo_url, maintainers=[user])
    build_id = trigger(client, headers, slug, "latest")
    work()
    return fresh(build_id), _log(build_id)


def _processes_with(token: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    if token.encode() in fh.read():
                        found.append(int(pid))
            except OSError:
                continue
    return found


def test_a_hostile_build_is_refused_everything(app, client, user, headers, make_repo, victim, monkeypatch):
    token = uuid.uuid4().hex
    marker = uuid.uuid4().hex
    monkeypatch.setenv("DOCSHELF_TEST_WORKER_SECRET", marker)  # the worker's own environment
    redis_url = app.config["REDIS_URL"]
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    host_address = next(iter(_host_addresses()), "192.0.2.1")
    spec = {
        "secret_key": victim["key"],
        "database": database.split("///", 1)[1] if database.startswith("sqlite") else "/var/lib/postgresql",
        "worker_pid": os.getpid(),
        "other_cache": victim["cache"],
        "redis_socket": urlsplit(redis_url).path if redis_url.startswith("unix") else "/var/run/redis.sock",
        "other_page": victim["page"],
        "site_packages": site.getsitepackages()[0],
        "data_dir": app.config["DATA_DIR"],
        "host_address": host_address,
        "token": token,
        "env_marker": marker,
    }
    conf = "project = 'Hostile'\n" + ATTACKS % {"spec": json.dumps(spec)}
    files = sphinx_files("Hostile")
    files["docs/conf.py"] = conf
    files[".readthedocs.yaml"] = (
        "version: 2\nformats: [htmlzip]\nsphinx:\n  configuration: docs/conf.py\nbuild:\n  jobs:\n"
        "    post_build:\n" + "".join(f"      - {json.dumps(c)}\n" for c in (
            f"ln -s {victim['key']} $READTHEDOCS_OUTPUT/html/key.txt",
            f"ln {victim['key']} $READTHEDOCS_OUTPUT/html/hard.txt 2>&1 || echo 'ATTACK hard link: blocked'",
            "ln -s / $READTHEDOCS_OUTPUT/html/root",
            "mkfifo $READTHEDOCS_OUTPUT/html/fifo",
            # Rewrite every object file of the checkout: shared with the project's cache, it would
            # poison every later build of the project.
            "chmod -R u+w .git/objects; find .git/objects -type f -exec sh -c 'echo x >> \"$1\"' _ {} \\;",
        ))
    )
    repo = make_repo(files)
    hostile = factories.ProjectFactory(name="Hostile", slug="hostile", repository_url=repo.url,
                                       maintainers=[user])
    redis = get_redis()
    jobs_before = sorted(k.decode() for k in redis.keys("rq:job:*"))
    with open(victim["page"]) as fh:
        page_before = fh.read()
    site_packages_before = set(os.listdir(spec["site_packages"]))
    import sphinx

    with open(sphinx.__file__, "rb") as fh:
        sphinx_before = fh.read()

    build_id = trigger(client, headers, "hostile", "latest")
    work()

    build = fresh(build_id)
    log = _log(build_id)
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    attempts = [line for line in log.splitlines() if line.startswith("ATTACK ")]
    assert len(attempts) == 16, log[-4000:]
    assert all(": blocked" in line for line in attempts), "\n".join(attempts)
    assert "SUCCEEDED" not in log
    # The server's side.
    with open(victim["page"]) as fh:
        assert fh.read() == page_before
    assert set(os.listdir(spec["site_packages"])) == site_packages_before
    with open(sphinx.__file__, "rb") as fh:
        assert fh.read() == sphinx_before
    new_jobs = {k.decode() for k in redis.keys("rq:job:*")} - set(jobs_before)
    assert new_jobs <= {f"rq:job:build-{build_id}"}, new_jobs  # nothing but the build itself was queued
    assert _processes_with(token) == []
    published = site_path(app, "hostile", "latest")
    for folder, _dirs, names in os.walk(published):
        for name in names:
            path = os.path.join(folder, name)
            assert not os.path.islink(path)
            with open(path, "rb") as fh:
                assert victim["key_text"].encode() not in fh.read(), path
    assert not os.path.lexists(os.path.join(published, "html", "key.txt"))
    assert not os.path.lexists(os.path.join(published, "html", "root"))
    with zipfile.ZipFile(os.path.join(published, "downloads", "hostile.zip")) as archive:
        names = archive.namelist()
        assert not any(n.endswith(("key.txt", "fifo")) or "/root/" in n for n in names)
        for name in names:
            assert victim["key_text"].encode() not in archive.read(name)
    assert "Left out" in log  # the build log names what publishing refused
    cache = os.path.join(app.config["DATA_DIR"], "repos", str(hostile.id))
    fsck = subprocess.run(["git", "-C", cache, "fsck", "--full"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr  # the project's repository cache is intact


def _host_addresses() -> list[str]:
    from workers.sandbox import host_addresses

    return [a for a in host_addresses() if not a.startswith("127.")]


def test_a_fork_bomb_and_a_daemon_end_with_their_step(app, client, user, headers, make_repo, monkeypatch):
    monkeypatch.setitem(app.config, "BUILD_PROCESS_LIMIT", 64)
    token = uuid.uuid4().hex
    bomb = ("python -c \"import os, time\nn = 0\ntry:\n    for i in range(5000):\n"
            "        if os.fork() == 0:\n"
            f"            time.sleep(120); os._exit(0)\n        n += 1\nexcept OSError as exc:\n"
            f"    print('fork refused after', n, 'processes:', exc)\" {token}")
    config = ("version: 2\nsphinx:\n  configuration: docs/conf.py\nbuild:\n  jobs:\n    post_install:\n"
              f"      - {json.dumps(bomb)}\n"
              f"      - {json.dumps(f'(setsid sleep 300 {token} &) ; echo daemon started')}\n"
              "    pre_build:\n      - echo still building\n")
    files = sphinx_files("Bomb")
    files[".readthedocs.yaml"] = config
    repo = make_repo(files)
    build, log = build_once(client, headers, user, repo.url, "bomb")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    refused = [line for line in log.splitlines() if line.startswith("fork refused after")]
    assert refused, log[-3000:]
    assert int(refused[0].split()[3]) < 64
    assert "daemon started" in log and "still building" in log
    assert _processes_with(token) == []


def test_filling_the_disk_stops_the_build(app, client, user, headers, make_repo, monkeypatch):
    monkeypatch.setitem(app.config, "BUILD_DISK_LIMIT", 40 * 1024**2)
    fill = ("python -c \"import os, time\ni = 0\nwhile True:\n    with open(f'fill{i}', 'wb') as fh:\n"
            "        fh.write(os.urandom(4 * 1024 * 1024))\n    i += 1\n    time.sleep(0.02)\"")
    config = ("version: 2\nsphinx:\n  configuration: docs/conf.py\nbuild:\n  jobs:\n    pre_build:\n"
              f"      - {json.dumps(fill)}\n")
    files = sphinx_files("Fill")
    files[".readthedocs.yaml"] = config
    repo = make_repo(files)
    build, log = build_once(client, headers, user, repo.url, "fill")
    assert (build.state, build.success) == ("finished", False)
    assert "disk limit of 40 MiB" in (build.error or "")
    assert "[Docshelf stopped this command" in log
    assert not os.path.exists(os.path.join(app.config["DATA_DIR"], "builds", str(build.id)))


def test_a_worker_that_cannot_sandbox_refuses_builds(app, client, user, headers, sphinx_repo, monkeypatch):
    monkeypatch.setitem(app.config, "BUILD_BWRAP", "/nonexistent/bwrap")
    build, log = build_once(client, headers, user, sphinx_repo.url, "refused")
    assert (build.state, build.success) == ("finished", False)
    assert "cannot run builds in a sandbox" in build.error and "DOCSHELF_BUILD_SANDBOX=off" in build.error
    assert "git clone" not in log  # refused before anything of the project was fetched or run
    assert not os.path.exists(site_path(app, "refused", "latest"))


def test_sandbox_off_builds_with_a_warning_first(app, client, user, headers, sphinx_repo, monkeypatch):
    monkeypatch.setitem(app.config, "BUILD_SANDBOX", False)
    build, log = build_once(client, headers, user, sphinx_repo.url, "trusted")
    assert (build.state, build.success) == ("finished", True), build.error
    assert log.startswith("$ # DOCSHELF_BUILD_SANDBOX=off\nWARNING: this build ran WITHOUT a sandbox")
