"""``asdf`` inside the build sandbox: Read the Docs' recipe (``asdf plugin add uv``, ``asdf install uv
latest``, ``asdf global uv latest``) working on the tools the build server already has.

Nothing is downloaded: ``install`` checks that the version is on offer, ``global`` writes
``~/.tool-versions`` and links the tool into ``~/.asdf/shims`` (on the build's PATH). The offer is
``tools.json`` next to this command's wrapper (written by :mod:`workers.tools`). Runs with the worker's
interpreter as ``python -I -S``: the standard library only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

TOOLS = "/run/docshelf/tools/tools.json"
_DEFAULT: dict[str, str] = {}  # the version a tool has without ``asdf global`` (python: the build's)
USAGE = "usage: asdf plugin add|list, install, global, current, list, where, version (Docshelf's asdf)"


class Refused(Exception):
    """What this asdf cannot do; printed as ``asdf: <message>`` with exit status 1."""


def _offer() -> dict[str, dict[str, str]]:
    """Each tool's versions → executable; uv's and node's version are asked of the binaries."""
    with open(os.environ.get("DOCSHELF_ASDF_TOOLS", TOOLS)) as fh:
        spec = json.load(fh)
    offer: dict[str, dict[str, str]] = {"python": dict(spec.get("python") or {})}
    _DEFAULT["python"] = spec.get("build_python") or ""
    for name, flag in (("uv", "--version"), ("nodejs", "--version")):
        path = spec.get(name)
        if path:
            out = subprocess.run([path, flag], capture_output=True, text=True).stdout
            match = re.search(r"(\d+\.\d+[\w.]*)", out)
            offer[name] = {match.group(1) if match else "system": path}
    return offer


def _home(*parts: str) -> str:
    return os.path.join(os.path.expanduser("~"), *parts)


def _pick(offer: dict[str, dict[str, str]], tool: str, version: str | None) -> tuple[str, str]:
    if tool not in offer:
        raise Refused(_no_plugin(tool, offer))
    versions = offer[tool]
    if not version:
        raise Refused(f"which version of {tool}? ({', '.join(versions)} on offer)")
    wanted = version.split(":", 1)[1] if version.startswith("latest:") else version
    if version == "latest" or version.startswith("latest:"):
        matching = [v for v in versions if version == "latest" or v.startswith(wanted)]
    else:  # an exact version, or a prefix of one (python 3.12 is 3.12.x)
        matching = [v for v in versions if v == wanted or wanted.startswith(v + ".") or v.startswith(wanted)]
    if not matching:
        raise Refused(f"{tool} {version} is not on this build server (it offers {', '.join(versions)}); "
                      "Docshelf's asdf installs nothing, it selects what the server has.")
    best = max(matching, key=lambda v: [int(n) if n.isdigit() else 0 for n in re.split(r"[.]", v)])
    return best, versions[best]


def _no_plugin(tool: str, offer: dict[str, dict[str, str]]) -> str:
    return (f"no {tool} here: Docshelf's asdf only selects tools the build server has "
            f"({', '.join(offer)}); it cannot download or build {tool}.")


def _selected() -> dict[str, str]:
    try:
        with open(_home(".tool-versions")) as fh:
            pairs = [line.split() for line in fh if line.strip() and not line.startswith("#")]
    except OSError:
        return {}
    return {p[0]: p[1] for p in pairs if len(p) >= 2}


def _global(offer: dict[str, dict[str, str]], tool: str, version: str | None) -> None:
    chosen, path = _pick(offer, tool, version)
    selected = {**_selected(), tool: chosen}
    with open(_home(".tool-versions"), "w") as fh:
        fh.writelines(f"{name} {value}\n" for name, value in selected.items())
    shims = _home(".asdf", "shims")
    os.makedirs(shims, exist_ok=True)
    names = {"python": ["python", "python3", f"python{chosen}"], "nodejs": ["node"]}.get(tool, [tool])
    for name in names:
        link = os.path.join(shims, name)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(path, link)


def main(argv: list[str]) -> int:
    offer = _offer()
    command, args = (argv[0], argv[1:]) if argv else ("help", [])
    if command in ("plugin-add", "plugin-list"):
        command, args = "plugin", [command.split("-")[1], *args]
    if command == "plugin" and args[:1] == ["add"] and len(args) >= 2:
        if args[1] not in offer:
            raise Refused(_no_plugin(args[1], offer))
        print(f"{args[1]}: provided by the build server")
    elif command == "plugin" and args[:1] == ["list"]:
        print("\n".join(offer))
    elif command == "install" and len(args) >= 1:
        chosen, path = _pick(offer, args[0], args[1] if len(args) > 1 else None)
        print(f"{args[0]} {chosen} is installed ({path})")
    elif command == "global" and len(args) >= 2:
        _global(offer, args[0], args[1])
    elif command == "current":
        selected = _selected()
        for tool in args or list(offer):
            if tool not in offer:
                raise Refused(_no_plugin(tool, offer))
            default = _DEFAULT.get(tool) or next(iter(offer[tool]), "")
            source = _home(".tool-versions") if tool in selected else "(the build's default)"
            print(f"{tool:<10}{selected.get(tool, default):<12}{source}")
    elif command in ("list", "list-all") and len(args) <= 1:
        for tool in args or list(offer):
            if tool not in offer:
                raise Refused(_no_plugin(tool, offer))
            print(tool + "\n" + "".join(f"  {v}\n" for v in offer[tool]), end="")
    elif command == "where" and args:
        path = _pick(offer, args[0], args[1] if len(args) > 1 else "latest")[1]
        print(os.path.dirname(os.path.dirname(path)))
    elif command == "version":
        print("v0.0.0-docshelf")
    else:
        raise Refused(f"'{' '.join(argv)}' is not something Docshelf's asdf can do.\n{USAGE}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Refused as exc:
        sys.stderr.write(f"asdf: {exc}\n")
        sys.exit(1)
