"""A real S3 server on 127.0.0.1 for the tests: moto's standalone server (it speaks the S3 wire
protocol; boto3 talks to it over HTTP exactly as to AWS, MinIO or R2)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

#: moto accepts any credentials; these are sent, so the signing code runs as in production.
ACCESS_KEY = "docshelf-test"
SECRET_KEY = "docshelf-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(port: int) -> list[str]:
    binary = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or shutil.which("moto_server")
    if binary is None:
        raise RuntimeError("moto_server is missing: pip install 'moto[server]' (the test extras)")
    return [binary, "-H", "127.0.0.1", "-p", str(port)]


@contextmanager
def running(log_path: str) -> Iterator[str]:
    """Start moto's server, wait until it answers, yield its endpoint URL, stop it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DOCSHELF_"))}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(_command(port), stdout=log, stderr=subprocess.STDOUT, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start (see {log_path})") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def settings(endpoint: str, bucket: str, prefix: str = "docshelf") -> dict[str, Any]:
    """The ``DOCSHELF_STORAGE_*`` settings (without the prefix) for a bucket on the test server."""
    return {
        "STORAGE_URL": f"s3://{bucket}/{prefix}",
        "STORAGE_ENDPOINT_URL": endpoint,
        "STORAGE_REGION": "us-east-1",
        "STORAGE_ACCESS_KEY_ID": ACCESS_KEY,
        "STORAGE_SECRET_ACCESS_KEY": SECRET_KEY,
        "STORAGE_RETENTION": 3600,
    }


def new_bucket(endpoint: str) -> str:
    """A fresh bucket (one per test: nothing leaks between tests)."""
    import boto3

    name = f"docshelf-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory, _nothing_left_running: None) -> Iterator[str]:
    """moto's server for the session (per xdist worker); conftests import this fixture."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with running(str(log)) as endpoint:
        yield endpoint
