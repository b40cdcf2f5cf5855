"""A build's sandbox set-up: refuse to build without one, forward the host ports it needs, say so in the log.

The pipeline opens this once per build (:func:`open_build_sandbox`) and closes it when the build ends.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workers.forwarding import PortForward, loopback_target
from workers.recorder import BuildFailed, Recorder
from workers.sandbox import Forward, Sandbox, SandboxUnavailable

SANDBOX_OFF = ("WARNING: this build ran WITHOUT a sandbox (DOCSHELF_BUILD_SANDBOX=off): the project's code "
               "ran as the worker's own user and could read the server's secrets and other projects' files. "
               "Only turn the sandbox off on an install where every user is trusted.\n")


@dataclass
class BuildSandbox:
    """The sandbox of one build (None when an admin turned it off) and the ports forwarded into it."""

    sandbox: Sandbox | None
    forwards: list[PortForward] = field(default_factory=list)

    def close(self) -> None:
        for forward in self.forwards:
            forward.close()
        if self.sandbox is not None:
            self.sandbox.close()


def open_build_sandbox(workdir: str, rec: Recorder, config: Mapping[str, Any], api_url: str) -> BuildSandbox:
    """The build's sandbox, noted first in its log; BuildFailed when this worker cannot sandbox."""
    if not config["BUILD_SANDBOX"]:
        rec.note("# DOCSHELF_BUILD_SANDBOX=off", SANDBOX_OFF, description="Sandbox")
        return BuildSandbox(None)
    network = str(config["BUILD_NETWORK"]).strip().lower()
    box = Sandbox(workdir=workdir, network="none" if network == "none" else "public",
                  build_uid=int(config["BUILD_UID"]), bwrap=config.get("BUILD_BWRAP") or None)
    for url in (api_url, config.get("BUILD_PIP_INDEX_URL")):
        target = loopback_target(url)
        if target and all((f.host, f.port) != target for f in box.forwards):
            path = os.path.join(box.run_dir, f"fwd{len(box.forwards)}.sock")
            box.forwards.append(Forward(target[0], target[1], path))
    opened = BuildSandbox(box)
    try:
        box.open()
        for forward in box.forwards:
            opened.forwards.append(PortForward(forward.socket_path, (forward.host, forward.port)))
    except SandboxUnavailable as exc:
        opened.close()
        message = (f"This worker cannot run builds in a sandbox: {exc} Builds are refused until it can; "
                   "an admin of a trusted single-team install may set DOCSHELF_BUILD_SANDBOX=off.")
        rec.note("# sandbox", message + "\n", description="Sandbox", exit_code=1)
        raise BuildFailed(message) from exc
    shown = {"public": "the public internet through slirp4netns; no private or host address",
             "none": "none"}[box.network]
    forwarded = ", ".join(f"{f.host}:{f.port}" for f in box.forwards) or "none"
    rec.note("# sandbox", "".join(n + "\n" for n in box.notes) + f"Every step runs in a bubblewrap "
             f"sandbox. Network: {shown}. Host ports forwarded: {forwarded}.\n", description="Sandbox")
    return opened
