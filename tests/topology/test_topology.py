"""The production topology, run: two web hosts (``docshelf web``) and two build hosts (``docshelf
worker``), each with its own data directory and nothing shared on disk, against PostgreSQL, a Redis
server and an S3 server (moto's) on 127.0.0.1, with ``DOCSHELF_HOSTS=4``.

A project is built by one worker and its docs, download and log are read through both web hosts;
then the worker running the next build is killed mid-build: the last good version stays served, the
other worker's housekeeping ends the lost build, and the other worker builds the next one. When the
killed worker also ran RQ's scheduler (on which housekeeping runs; whichever worker takes the build, so
about every other run), the other one takes the scheduler over once the dead one's lock expires, in
about a minute (workers/cli.py: worker_ttl).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import BuildLogChunk
from tests import factories, s3server
from tests.workers.conftest import Repo, processes_with, session_pids, sphinx_files, wait_for

APP_HOST = "app.topology.test"
DOCS_HOST = "docs.topology.test"
DOCSHELF = os.path.join(os.path.dirname(sys.executable), "docshelf")
CONFIG = "version: 2\nformats: [htmlzip]\nsphinx:\n  configuration: docs/conf.py\n"


@dataclass
class Process:
    name: str
    proc: subprocess.Popen[bytes]
    data_dir: Path
    log: Path
    port: int = 0

    def kill(self) -> None:
        """SIGKILL the process's whole session (a worker and its work horse, gunicorn and its workers)."""
        for pid in session_pids(self.proc.pid) or [self.proc.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


@dataclass
class Topology:
    webs: list[Process] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)
    bucket: str = ""

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.log.read_text(errors='replace')[-4000:]}"
                         for p in self.webs + self.workers)


def request(web: Process, path: str, *, host: str = APP_HOST, method: str = "GET",
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=60)
    try:
        conn.request(method, path, headers={"Host": host, **(headers or {})})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


@pytest.fixture
def topology(app: Flask, tmp_path: Path, s3_endpoint: str) -> Iterator[Topology]:
    top = Topology(bucket=s3server.new_bucket(s3_endpoint))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCSHELF_", "AWS_"))}
    env.update({
        "LANG": "C.UTF-8", "HOME": str(tmp_path),
        "DOCSHELF_HOSTS": "4",
        "DOCSHELF_DATABASE_URL": app.config["DATABASE_URL"], "DOCSHELF_REDIS_URL": app.config["REDIS_URL"],
        "DOCSHELF_SECRET_KEY": app.config["SECRET_KEY"],
        "DOCSHELF_PUBLIC_URL": f"http://{APP_HOST}", "DOCSHELF_DOCS_URL": f"http://{DOCS_HOST}",
        "DOCSHELF_ALLOW_LOCAL_REPOSITORIES": "1", "DOCSHELF_LOCAL_REPOSITORY_ROOTS": str(tmp_path / "repos"),
        "DOCSHELF_BUILD_NETWORK": "none", "DOCSHELF_LOG_LEVEL": "WARNING",
        # The test polls faster than any client may; the limits are shared through Redis all the same.
        "DOCSHELF_RATE_LIMITS_ENABLED": "false",
    })
    env.update({f"DOCSHELF_{k}": str(v) for k, v in s3server.settings(s3_endpoint, top.bucket).items()})

    def start(name: str, args: list[str], **extra: str) -> Process:
        data_dir = tmp_path / name
        log = tmp_path / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([DOCSHELF, *args], cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                                    env={**env, "DOCSHELF_DATA_DIR": str(data_dir), **extra},
                                    start_new_session=True)
        return Process(name, proc, data_dir, log)

    try:
        for n in (1, 2):
            port = s3server.free_port()
            web = start(f"web{n}", ["web"], DOCSHELF_WEB_BIND=f"127.0.0.1:{port}", DOCSHELF_WEB_WORKERS="1")
            web.port = port
            top.webs.append(web)
        for n in (1, 2):
            name = f"topology-{n}-{uuid.uuid4().hex[:6]}"
            top.workers.append(start(f"worker{n}", ["worker", "--name", name, "--housekeeping-interval", "2",
                                                     "--stale-after", "20"]))
        for web in top.webs:
            wait_for(lambda web=web: _answers(web, top), timeout=60, interval=0.3)
        yield top
    finally:
        for process in top.webs + top.workers:
            if process.proc.poll() is None:
                process.proc.terminate()
        for process in top.webs + top.workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.proc.wait(timeout=20)
            if process.proc.poll() is None or session_pids(process.proc.pid):
                process.kill()


def _answers(web: Process, top: Topology) -> bool:
    assert web.proc.poll() is None, top.logs()
    try:
        return request(web, "/api/v3/")[0] == 200
    except OSError:
        return False


def _trigger(web: Process, headers: dict[str, str]) -> int:
    status, _, body = request(web, "/api/v3/projects/topo/versions/latest/builds/", method="POST",
                              headers=headers)
    assert status == 202, body
    return int(json.loads(body)["build"]["id"])


def _build(web: Process, headers: dict[str, str], build_id: int) -> dict[str, Any]:
    status, _, body = request(web, f"/api/v3/projects/topo/builds/{build_id}/", headers=headers)
    assert status == 200, body
    return dict(json.loads(body))


def _finished(web: Process, headers: dict[str, str], build_id: int, top: Topology) -> dict[str, Any]:
    def final() -> dict[str, Any] | None:
        assert all(w.proc.poll() is None for w in top.webs), top.logs()
        build = _build(web, headers, build_id)
        return build if build["state"]["code"] in ("finished", "cancelled") else None

    try:
        return dict(wait_for(final, timeout=240, interval=0.5))
    except AssertionError as exc:
        raise AssertionError(f"build {build_id} did not end\n{top.logs()}") from exc


def _page(web: Process, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return request(web, "/docs/topo/en/latest/", host=DOCS_HOST, headers=headers)


def _check_served(top: Topology, headers: dict[str, str], build_id: int, title: str) -> None:
    """Page, validators, download and log: the same through every web host."""
    etags = set()
    for web in top.webs:
        status, page_headers, body = _page(web)
        assert status == 200 and title.encode() in body, (web.name, status, body[:300])
        etags.add(page_headers["etag"])
        assert _page(web, **{"If-None-Match": page_headers["etag"]})[0] == 304
        partial = _page(web, **{"Range": "bytes=0-9"})
        assert partial[0] == 206 and partial[2] == body[:10]
        status, _, zipped = request(web, "/_/downloads/topo/en/latest/htmlzip/", host=DOCS_HOST)
        assert status == 200, zipped[:300]
        with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
            assert title.encode() in archive.read("topo-latest/index.html")
        status, _, packed = request(web, "/_/downloads/topo/en/latest/tar.gz/", host=DOCS_HOST)
        assert status == 200
        with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as tarball:
            member = tarball.extractfile("topo-latest/index.html")
            assert member is not None and title.encode() in member.read()
        status, log_headers, log_text = request(web, f"/api/v3/projects/topo/builds/{build_id}/log.txt",
                                                headers=headers)
        assert status == 200 and b"Build succeeded." in log_text and b"Published 1 pages" in log_text
        tail = request(web, f"/api/v3/projects/topo/builds/{build_id}/log.txt?offset=10", headers=headers)
        assert tail[1]["docshelf-log-offset"] == log_headers["docshelf-log-offset"]
    assert len(etags) == 1  # one bucket: every host gives the same validator


def test_two_web_hosts_and_two_workers_share_only_services(topology, user, headers, tmp_path):
    repo = Repo(tmp_path / "repos" / "topo")
    repo.commit({**sphinx_files("Version one"), ".readthedocs.yaml": CONFIG}, "first")
    factories.ProjectFactory(name="Topo", slug="topo", repository_url=repo.url, maintainers=[user])
    web_a, web_b = topology.webs

    first = _trigger(web_a, headers)
    assert _finished(web_b, headers, first, topology)["success"] is True, topology.logs()
    _check_served(topology, headers, first, "Version one")
    db.session.rollback()
    in_database = db.session.scalar(select(func.count()).where(BuildLogChunk.build_id == first))
    assert in_database == 0  # the finished log is in the bucket (cold storage)
    for process in topology.webs + topology.workers:  # nothing published on any host's disk
        assert not (process.data_dir / "storage" / "topo").exists(), process.name

    # The next build sleeps in a step; the worker running it is killed with its work horse (and its
    # RQ scheduler, when it runs the one on which housekeeping runs: about every other run).
    marker = f"topo-sleeper-{uuid.uuid4().hex[:8]}"
    config = CONFIG + f"build:\n  jobs:\n    pre_build: ['exec -a {marker} sleep 300']\n"
    repo.commit({**sphinx_files("Version two"), ".readthedocs.yaml": config}, "slow")
    second = _trigger(web_b, headers)
    try:
        wait_for(lambda: processes_with(marker), timeout=180, interval=0.3)
    except AssertionError as exc:
        raise AssertionError(f"the slow step never started\n{topology.logs()}") from exc
    sleeper = processes_with(marker)[0]
    running = [w for w in topology.workers if any(_in_session(pid, w) for pid in _ancestors(sleeper))]
    assert len(running) == 1, (sleeper, [w.proc.pid for w in topology.workers])
    killed = running[0]
    survivor = next(w for w in topology.workers if w is not killed)
    killed.kill()
    wait_for(lambda: not processes_with(marker), timeout=30)  # the sandbox died with its parent
    _check_served(topology, headers, first, "Version one")  # the last good version, still whole

    lost = _finished(web_a, headers, second, topology)
    assert lost["success"] is False and "stopped unexpectedly" in lost["error"], lost

    repo.commit({**sphinx_files("Version three"), ".readthedocs.yaml": CONFIG}, "fast again")
    third = _trigger(web_a, headers)
    assert _finished(web_b, headers, third, topology)["success"] is True, topology.logs()
    assert survivor.proc.poll() is None
    _check_served(topology, headers, third, "Version three")


def _ancestors(pid: int) -> list[int]:
    chain = [pid]
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            break
        chain.append(pid)
    return chain


def _in_session(pid: int, process: Process) -> bool:
    return pid in session_pids(process.proc.pid)
