"""The user-mode network of a sandboxed build: slirp4netns attached to the step's network namespace.

slirp4netns runs the build's TCP/IP in user space and makes ordinary sockets on the host for it, so
what the build reaches is what the worker's host reaches: with its loopback disabled here, and the
private, link-local and host addresses prohibited inside the namespace (``sandbox_init``), that is
the public internet only.
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache

SLIRP_DNS = "10.0.2.3"

#: What a build may never reach through the user-mode network: loopback, private, shared, link-local
#: (cloud metadata), benchmarking, multicast and reserved ranges. slirp's own /24 stays reachable (DNS).
PROHIBITED = ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
              "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4")
SLIRP_MISSING = ("slirp4netns is not installed on this worker, so builds run without network "
                 "(installs from a package index and intersphinx fail). Install it (Debian: apt install "
                 "slirp4netns) or set DOCSHELF_BUILD_NETWORK=none to silence this note.")


def attach_slirp(pid: int) -> tuple[subprocess.Popen[bytes], int]:
    """Start slirp4netns on ``pid``'s network namespace; returns it and the descriptor that keeps it
    alive (``--exit-fd``): when this process closes it, or dies however it dies (a killed work horse),
    slirp4netns exits too instead of outliving the build in a session of its own."""
    ready_r, ready_w = os.pipe()
    exit_r, exit_w = os.pipe()
    try:
        proc = subprocess.Popen(
            ["slirp4netns", "--configure", "--mtu=65520", "--disable-host-loopback", "--enable-sandbox",
             "--enable-seccomp", "--ready-fd", str(ready_w), "--exit-fd", str(exit_r), str(pid), "tap0"],
            pass_fds=(ready_w, exit_r), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
    except BaseException:
        os.close(exit_w)
        raise
    finally:
        os.close(ready_w)
        os.close(exit_r)
    try:
        os.read(ready_r, 1)  # "1" once tap0 is configured; EOF if slirp4netns died
    finally:
        os.close(ready_r)
    return proc, exit_w


@cache
def host_addresses() -> tuple[str, ...]:
    """The worker host's own IPv4 addresses: prohibited too, whatever their range."""
    try:
        out = subprocess.run(["ip", "-j", "-4", "addr", "show"], capture_output=True, text=True, timeout=10)
        entries = json.loads(out.stdout or "[]")
    except (OSError, ValueError, subprocess.SubprocessError):
        return ()
    return tuple(sorted({a["local"] for e in entries for a in e.get("addr_info", []) if a.get("local")}))
