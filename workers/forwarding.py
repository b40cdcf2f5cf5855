"""The worker's end of a forwarded port: a Unix socket that connects to exactly one host ``host:port``.

A sandboxed build has no route to the host's loopback. What it needs from there (the API when its
public URL is loopback, as on a development machine; a package mirror) is forwarded: the sandbox's
first process listens on the same ``host:port`` inside and relays each connection to this socket,
bind-mounted into the sandbox; this end connects to the one target it was made for. Nothing else on
the host is reachable this way.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
from urllib.parse import urlsplit

from workers.sandbox_init import pump  # the same relay as the sandbox's end (stdlib only)

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def loopback_target(url: str | None) -> tuple[str, int] | None:
    """``(host, port)`` of ``url`` when it points at the host's loopback (IPv4), else None."""
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if host in LOOPBACK_NAMES:
        return "127.0.0.1", port
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return (host, port) if address.version == 4 and address.is_loopback else None


class PortForward:
    """Serve ``path`` (a Unix socket) by connecting each client to ``target`` on the host."""

    def __init__(self, path: str, target: tuple[str, int]) -> None:
        self.path = path
        self.target = target
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.lexists(path):
            os.unlink(path)
        self.listener.bind(path)
        os.chmod(path, 0o666)  # the build user connects through the bind mount; the directory is private
        self.listener.listen(64)
        self.thread = threading.Thread(target=self._serve, daemon=True, name=f"forward-{target[1]}")
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                inside, _ = self.listener.accept()
            except OSError:
                return
            try:
                outside = socket.create_connection(self.target, timeout=10)
                outside.settimeout(None)
            except OSError:
                inside.close()
                continue
            threading.Thread(target=pump, args=(inside, outside), daemon=True).start()
            threading.Thread(target=pump, args=(outside, inside), daemon=True).start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
