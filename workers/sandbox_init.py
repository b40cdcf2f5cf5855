"""First process inside a build sandbox: network rules, forwarded ports, privilege drop, then the command.

Runs as ``python -I -S sandbox_init.py SPEC -- ARGV...`` (no site, no environment-driven imports, only the
standard library) as uid 0 of the sandbox's user namespace, with the few capabilities bubblewrap was
told to keep. In order, before any of the project's code runs:

1. ``routes``: prohibit routes for every private, loopback, link-local and host address, so the
   user-mode network (slirp4netns) only reaches the public internet;
2. ``forwards``: listen on ``host:port`` inside the sandbox and relay each connection to a Unix socket
   the worker serves, which connects to exactly that port on the host (the API on a development
   machine's loopback, a package mirror);
3. drop to the build user for good: ``setuid`` to an id mapped to an unprivileged host user when the
   worker runs as root; otherwise no capability is left, in any set, and uid 0 cannot regain one.

Then the command runs as a child; its exit status is this process's. When it ends, this process ends
and bubblewrap's PID namespace ends with it, taking anything the command left running.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import socket
import subprocess
import sys
import threading

_PR_CAPBSET_DROP = 24
_PR_SET_SECUREBITS = 28
_PR_SET_NO_NEW_PRIVS = 38
_SECBITS_LOCKED_NOROOT = 0x3F  # NOROOT, NO_SETUID_FIXUP, KEEP_CAPS_LOCKED and their locks
_CAP_LAST = 63


def _fail(message: str) -> None:
    sys.stderr.write(f"docshelf sandbox: {message}\n")
    sys.exit(126)


def add_routes(cidrs: list[str]) -> None:
    for cidr in cidrs:
        result = subprocess.run(["ip", "route", "add", "prohibit", cidr], capture_output=True, text=True)
        if result.returncode != 0 and "File exists" not in result.stderr:
            _fail(f"could not close the network to {cidr}: {result.stderr.strip()}")


def pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _relay(listener: socket.socket, path: str) -> None:
    while True:
        try:
            inside, _addr = listener.accept()
        except OSError:
            return
        outside = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            outside.connect(path)
        except OSError:
            inside.close()
            outside.close()
            continue
        threading.Thread(target=pump, args=(inside, outside), daemon=True).start()
        threading.Thread(target=pump, args=(outside, inside), daemon=True).start()


def listen(forwards: list[list]) -> list[tuple[socket.socket, str]]:
    bound = []
    for host, port, path in forwards:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, int(port)))
        listener.listen(64)
        bound.append((listener, path))
    return bound


def drop_privileges(uid: int | None, gid: int | None) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        _fail("could not set no_new_privs")
    if uid is not None and gid is not None:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)  # a non-zero uid keeps no capability
        return
    # Same host user as the worker (it is not root): stay uid 0 of the sandbox without any capability.
    for cap in range(_CAP_LAST + 1):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    if libc.prctl(_PR_SET_SECUREBITS, _SECBITS_LOCKED_NOROOT, 0, 0, 0) != 0:
        _fail("could not lock the secure bits")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()
    if libc.capset(header, data) != 0:
        _fail("could not drop capabilities")


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        _fail("usage: sandbox_init.py SPEC -- COMMAND...")
    spec = json.loads(argv[1])
    with os.fdopen(int(spec["env_fd"]), "rb") as fh:  # the build's environment: the command's alone
        env = json.loads(fh.read())
    if spec.get("routes"):
        add_routes(spec["routes"])
    listeners = listen(spec.get("forwards") or [])
    drop_privileges(spec.get("uid"), spec.get("gid"))
    for listener, path in listeners:
        threading.Thread(target=_relay, args=(listener, path), daemon=True).start()
    command = argv[3:]
    try:
        child = subprocess.Popen(command, close_fds=True, env=env)
    except OSError as exc:
        sys.stderr.write(f"Could not run {command[0]}: {exc.strerror or exc}\n")
        return 127
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:  # pragma: no cover - SIGINT is the command's to handle
            continue


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    os._exit(code if code >= 0 else 128 - code)
