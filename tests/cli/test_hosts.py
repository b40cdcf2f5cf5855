"""Hosts apart: ``docshelf web`` and ``docshelf worker`` start on shared services, and with
``DOCSHELF_HOSTS`` above 1 every process refuses SQLite, the embedded Redis and local storage with one
paragraph (no traceback), before creating anything."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request

import pytest

from tests.cli.test_fail_fast import DOCSHELF, _refused, _run
from tests.s3server import free_port


@pytest.mark.parametrize("command", [["web"], ["worker"], ["up", "--port", "1"], ["users", "create", "bob"]])
def test_several_hosts_refuse_what_only_one_machine_sees(tmp_path, command):
    result = _run([DOCSHELF, *command], tmp_path, DOCSHELF_HOSTS="2")
    message = _refused(result, "DOCSHELF_HOSTS is 2", "the database is SQLite", "Redis is the embedded one",
                       "sites are stored in a local directory", "DOCSHELF_STORAGE_URL", "DOCSHELF_SECRET_KEY")
    if command[0] == "up":
        assert "run `docshelf web` and `docshelf worker`" in message
    assert list(tmp_path.iterdir()) == []


def test_several_hosts_name_only_what_is_missing(tmp_path):
    result = _run([DOCSHELF, "worker"], tmp_path, DOCSHELF_HOSTS="3",
                  DOCSHELF_DATABASE_URL="postgresql://docshelf@127.0.0.1:1/docshelf",
                  DOCSHELF_REDIS_URL="redis://127.0.0.1:1/0", DOCSHELF_STORAGE_URL="s3://bucket/x",
                  DOCSHELF_SECRET_KEY="shared")
    message = _refused(result, "Cannot open the database")  # the shared services' own checks come next
    assert "DOCSHELF_HOSTS" not in message


@pytest.mark.parametrize("hosts", ["1", "2"])
def test_a_storage_url_that_is_not_s3_stops_every_process(tmp_path, hosts):
    result = _run([DOCSHELF, "worker"], tmp_path, DOCSHELF_HOSTS=hosts, DOCSHELF_STORAGE_URL="https://bucket/x")
    _refused(result, "DOCSHELF_STORAGE_URL must look like s3://bucket/prefix, not 'https://bucket/x'")
    assert list(tmp_path.iterdir()) == []


def test_one_host_keeps_the_embedded_defaults_allowed(tmp_path):
    result = _run([DOCSHELF, "worker"], tmp_path)  # the usual message: no database here
    message = _refused(result, "No Docshelf database exists")
    assert "DOCSHELF_HOSTS" not in message


def test_docshelf_web_serves_on_its_own_settings(app, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    env.update(DOCSHELF_DATABASE_URL=app.config["DATABASE_URL"], DOCSHELF_REDIS_URL=app.config["REDIS_URL"],
               DOCSHELF_SECRET_KEY="x", DOCSHELF_DATA_DIR=str(tmp_path / "data"),
               DOCSHELF_WEB_BIND=f"127.0.0.1:{port}", DOCSHELF_WEB_WORKERS="1")
    proc = subprocess.Popen([DOCSHELF, "web"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v3/", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except (TimeoutError, OSError):
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "docshelf web did not answer"
                time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(30)
        if proc.stdout:
            proc.stdout.close()
