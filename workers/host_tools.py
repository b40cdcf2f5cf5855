"""``build.tools`` other than Python (``nodejs``, ``rust``, ``golang``, ``ruby``): the build server's own.

Read the Docs installs the asked version of each into its image with asdf. Docshelf installs none; a
build sees the host's installation when the sandbox can (one under ``/usr``, which it mounts read-only),
and the log says which version that is. A version that does not match what was asked, or a tool the
host lacks, is named in a warning at the top of the log and in the build's API representation.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache

#: tool → (command, its version arguments, the version in its output, the name people know it by)
TOOLS = {
    "nodejs": ("node", ("--version",), r"v?(\d+(?:\.\d+)*)", "Node.js"),
    "rust": ("rustc", ("--version",), r"rustc (\d+(?:\.\d+)*)", "Rust"),
    "golang": ("go", ("version",), r"go(\d+(?:\.\d+)*)", "Go"),
    "ruby": ("ruby", ("--version",), r"ruby (\d+(?:\.\d+)*)", "Ruby"),
}
#: Where the sandbox can run a host program from (workers.sandbox_mounts mounts /usr read-only).
VISIBLE = ("/usr/",)


@cache
def host_version(tool: str) -> tuple[str, str] | None:
    """``(path, version)`` of the host's ``tool``, if a build can run it; asked once per worker process."""
    command, args, pattern, _ = TOOLS[tool]
    found = shutil.which(command)
    if not found:
        return None
    path = os.path.realpath(found)
    if not path.startswith(VISIBLE):  # e.g. ~/.cargo/bin: not mounted in the sandbox
        return None
    try:
        out = subprocess.run([path, *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(pattern, out.stdout + out.stderr)
    return (path, match.group(1)) if match else None


def matches(asked: str, version: str) -> bool:
    """``20`` matches 20.20.2, ``1.78`` matches 1.78.0; ``latest`` matches whatever the host has."""
    return asked == "latest" or version == asked or version.startswith(asked + ".")


def check(tools: object) -> tuple[list[str], list[str]]:
    """``(log lines, warnings)`` for the file's ``build.tools`` (anything: the file may be wrong)."""
    lines: list[str] = []
    warnings: list[str] = []
    if not isinstance(tools, dict):
        return lines, warnings
    for tool, asked in tools.items():
        if tool not in TOOLS:
            continue  # python is workers.tools'; an unknown name is a configuration warning
        name = TOOLS[tool][3]
        wanted = str(asked).strip()
        found = host_version(tool)
        if found is None:
            warnings.append(f"build.tools.{tool}: {name} {wanted} is not available on this build server "
                            "(Docshelf installs no tools; the host has none a build can run).")
        elif matches(wanted, found[1]):
            lines.append(f"{tool} {wanted}: {name} {found[1]} ({found[0]})")
        else:
            warnings.append(f"build.tools.{tool}: {name} {wanted} is not on this build server; the build "
                            f"uses its {name} {found[1]} instead.")
    return lines, warnings
