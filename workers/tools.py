"""The tools a build can ask for, as Read the Docs' build image offers them: ``build.tools.python``, and
``asdf`` and ``uv`` in the sandbox.

Docshelf installs no interpreters: the worker host offers some (``DOCSHELF_BUILD_PYTHONS``, or the
``python3.X`` executables on its PATH, plus the worker's own) and a build gets the one it asks for, or the
nearest with a warning (a failure with ``DOCSHELF_BUILD_PYTHON_STRICT``). The worker's own Python stays
the fast path: its build venv sees the worker's documentation tools (:mod:`workers.toolset`); any other
version gets a venv of its own with pip, and Sphinx or MkDocs from the package index when the project does not
install them, which is what Read the Docs does on every build.

The ``asdf`` command (:mod:`workers.asdf`) reads what is on offer from ``tools.json``, written here into
a read-only directory on the build's PATH next to a ``uv`` link.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from workers import host_tools, python_download, toolset
from workers.config import BuildConfig
from workers.recorder import BuildFailed, Recorder
from workers.sandbox import Sandbox
from workers.sandbox import _python as worker_base_python
from workers.sandbox_mounts import system_mounts

TOOLS_INSIDE = "/run/docshelf/tools"
ASDF_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "asdf.py")
ASDF_INSIDE = "/run/docshelf/asdf.py"
_NAME = re.compile(r"^python(3\.\d+)$")
_VERSION = re.compile(r"^3(\.\d+)?$")


class ToolError(Exception):
    """The build asked for a tool this worker cannot give it; the message says what and why."""


def worker_version() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def _is_binary(path: str) -> bool:
    """A real interpreter, not a launcher script (pyenv's shims run pyenv, which the sandbox lacks)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def _key(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def parse_pythons(setting: str) -> dict[str, str]:
    """``3.12=/usr/local/bin/python3.12,3.13=/opt/py313/bin/python3`` as ``{version: path}``."""
    pythons: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in setting.split(","))):
        version, sep, path = item.partition("=")
        if not sep or not re.fullmatch(r"3\.\d+", version.strip()) or not os.path.isabs(path.strip()):
            raise ToolError(f"DOCSHELF_BUILD_PYTHONS: '{item}' is not VERSION=/absolute/path (3.12=/usr/bin/"
                            "python3.12).")
        pythons[version.strip()] = path.strip()
    return pythons


def discover_pythons() -> dict[str, str]:
    """``python3.X`` executables on the worker's PATH (first of each version wins), resolved to the file."""
    return dict(_discover(os.environ.get("PATH", "")))


@cache
def _discover(search_path: str) -> tuple[tuple[str, str], ...]:
    """Once per worker process and PATH: a build should not pay for listing the PATH's directories."""
    found: dict[str, str] = {}
    for directory in search_path.split(os.pathsep):
        try:
            names = sorted(os.listdir(directory or "."))
        except OSError:
            continue
        for name in names:
            match = _NAME.match(name)
            path = os.path.realpath(os.path.join(directory, name))
            if match and match.group(1) not in found and os.access(path, os.X_OK) and _is_binary(path):
                found[match.group(1)] = path
    return tuple(found.items())


def available_pythons(setting: str | None) -> dict[str, str]:
    """What builds may ask for, by version; the worker's own interpreter is always among them."""
    pythons = parse_pythons(setting) if setting else discover_pythons()
    pythons[worker_version()] = worker_base_python()
    return dict(sorted(pythons.items(), key=lambda item: _key(item[0])))


@dataclass(frozen=True)
class PythonChoice:
    version: str
    path: str
    warning: str | None = None

    @property
    def is_worker(self) -> bool:
        """The worker's own Python: the build venv sees its packages, nothing is installed."""
        return self.version == worker_version()


def choose_python(asked: object, pythons: dict[str, str], strict: bool = False,
                  download_problem: str = "") -> PythonChoice:
    """The interpreter for ``build.tools.python``: "3" and "latest" are the newest 3.x on offer (as on
    Read the Docs), "3.N" that version; a version not on offer is replaced by the nearest one (the newer on
    a tie), with a warning, or refused when ``strict``. Without the key, the worker's own Python."""
    if asked is None:
        return PythonChoice(worker_version(), pythons[worker_version()])
    text = str(asked).strip()
    newest = max(pythons, key=_key)
    if text in ("3", "latest"):
        return PythonChoice(newest, pythons[newest])
    if text in pythons:
        return PythonChoice(text, pythons[text])
    if not _VERSION.match(text):
        problem = f"'{text}' is not a Python version this worker can offer ({', '.join(pythons)})"
        nearest = worker_version()
    else:
        nearest = min(pythons, key=lambda v: (abs(_key(v)[1] - _key(text)[1]), -_key(v)[1]))
        problem = f"Python {text} is not available on this build server (it offers {', '.join(pythons)})"
        if download_problem:
            problem += f"; downloading it with uv failed: {download_problem}"
    if strict:
        raise ToolError(f"build.tools.python: {problem}.")
    return PythonChoice(nearest, pythons[nearest], f"build.tools.python: {problem}; the build uses Python "
                                                   f"{nearest} instead.")


@cache
def interpreter_prefixes(path: str) -> tuple[str, ...]:
    """The directories an interpreter needs in the sandbox, asked of it once: its ``sys.prefix``, its
    ``base_prefix`` (a venv's interpreter lives elsewhere) and its executable's own directory."""
    probe = ("import json, os, sys; "
             "print(json.dumps([sys.prefix, sys.base_prefix, os.path.realpath(sys.executable)]))")
    out = subprocess.run([path, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=30,
                         check=True)
    prefix, base, executable = json.loads(out.stdout)
    dirs = {os.path.realpath(prefix), os.path.realpath(base), os.path.dirname(executable)}
    return tuple(sorted(d for d in dirs if not d.startswith(("/usr/", "/etc/")) and d != "/usr"))


def uv_binary() -> str | None:
    """The ``uv`` Docshelf depends on (next to the worker's interpreter), else the host's."""
    try:
        from uv import find_uv_bin

        return os.path.realpath(find_uv_bin())
    except Exception:  # not installed as a package: the host's own, if any
        found = shutil.which("uv")
        return os.path.realpath(found) if found else None


def uv_env(index_url: str | None) -> dict[str, str]:
    """uv's settings for a build: the host's certificate store (mounted read-only, as pip and git use
    it; uv's own roots fail behind a TLS-inspecting proxy) and the package mirror pip is given."""
    env = {"UV_SYSTEM_CERTS": "1"}
    if index_url:
        env["UV_DEFAULT_INDEX"] = index_url
    return env


def write_tools_dir(tools: str, pythons: dict[str, str], build_version: str,
                    inside: bool = True) -> list[str]:
    """Fill the build's tools directory (``asdf``, ``uv``, ``tools.json``); returns the host directories
    the sandbox must mount read-only for them. Cheap: no interpreter is started here."""
    os.makedirs(tools, exist_ok=True)
    os.chmod(tools, 0o755)
    uv, node = uv_binary(), shutil.which("node")
    # Each interpreter by its install's directory (bin/..), found without starting one; one whose
    # directory does not look like an install (no lib/python3.X: a home's bin?) is not mounted for asdf.
    installs = {v: os.path.dirname(os.path.dirname(os.path.realpath(p))) for v, p in pythons.items()}
    offered = {v: p for v, p in pythons.items()
               if v == build_version or os.path.isdir(os.path.join(installs[v], "lib", f"python{v}"))}
    spec = {"python": offered, "build_python": build_version, "uv": uv,
            "nodejs": os.path.realpath(node) if node else None}
    with open(os.path.join(tools, "tools.json"), "w") as fh:
        json.dump(spec, fh)
    with open(os.path.join(tools, "asdf"), "w") as fh:
        where = "" if inside else f"DOCSHELF_ASDF_TOOLS={os.path.join(tools, 'tools.json')} "
        fh.write(f"#!/bin/sh\n{where}exec {worker_base_python()} -I -S -B "
                 f"{ASDF_INSIDE if inside else ASDF_SOURCE} \"$@\"\n")
    os.chmod(os.path.join(tools, "asdf"), 0o755)
    os.chmod(os.path.join(tools, "tools.json"), 0o644)
    mounts = [installs[v] for v in offered if v != build_version]
    if uv:
        os.symlink(uv, os.path.join(tools, "uv"))
        mounts.append(os.path.dirname(uv))
    return sorted({m for m in mounts if m != "/usr" and not m.startswith(("/usr/", "/etc/"))})


def latex_available(settings: Mapping[str, Any]) -> bool:
    """PDFs through LaTeX, as Read the Docs builds them: ``latexmk`` and ``pdflatex`` on the host (the
    sandbox mounts /usr, /etc/texmf and /var/lib/texmf), unless ``DOCSHELF_BUILD_LATEX=off``."""
    if str(settings.get("BUILD_LATEX") or "auto").lower() == "off":
        return False
    return bool(shutil.which("latexmk") and shutil.which("pdflatex"))


def _under(path: str, dirs: list[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


@dataclass
class BuildTools:
    """What :func:`setup` gave one build: its Python, and where its tools are as the build sees them."""

    choice: PythonChoice
    tools_dir: str  # on the host
    path: list[str]  # PATH entries, ahead of the system's (after the venv's bin)
    lib: str  # Docshelf's integrations (the Sphinx extension, the MkDocs plugin), as the build sees them
    site: str  # the worker's documentation tools, for a venv on the worker's own Python (workers.toolset)
    inside: str = ""  # the tools directory as the build sees it


def setup(build_tools: object, settings: Mapping[str, Any], workdir: str, sandbox: Sandbox | None
          ) -> BuildTools:
    """Choose the build's Python, write its tools directory, and tell the sandbox what to mount.

    ``build_tools`` is the file's ``build.tools`` (anything: the file may be wrong). Raises
    :class:`ToolError` for a setting that cannot be read or, when strict, a version not on offer.
    """
    asked = build_tools.get("python") if isinstance(build_tools, dict) else None
    pythons = available_pythons(settings.get("BUILD_PYTHONS"))
    wanted, problem = str(asked).strip(), ""
    if re.fullmatch(r"3\.\d+", wanted) and wanted not in pythons:  # the host lacks it: uv may get it
        path, problem = python_download.obtain(uv_binary(), wanted, settings)
        if path:
            pythons[wanted] = path
    choice = choose_python(asked, pythons, bool(settings.get("BUILD_PYTHON_STRICT")), problem)
    inside = sandbox is not None
    tools = os.path.join(sandbox.run_dir if sandbox is not None else workdir, "tools")
    mounts = write_tools_dir(tools, pythons, choice.version, inside=inside)
    toolset.copy_integrations(tools)
    if choice.is_worker:
        mounts += toolset.write(os.path.join(tools, "site"))
    else:
        mounts += interpreter_prefixes(choice.path)
    home_shims = os.path.join(workdir, "home", ".asdf", "shims")
    if sandbox is not None:
        covered = list(system_mounts()[2::3])
        fresh = sorted({m for m in mounts if not _under(m, covered)})
        fresh = [m for m in fresh if not _under(m, [o for o in fresh if o != m])]
        sandbox.binds = [(tools, TOOLS_INSIDE), (ASDF_SOURCE, ASDF_INSIDE), *((m, m) for m in fresh)]
    where = TOOLS_INSIDE if inside else tools
    return BuildTools(choice=choice, tools_dir=tools, path=[home_shims, where],
                      lib=os.path.join(where, "lib"), site=os.path.join(where, "site"), inside=where)


def for_build(rec: Recorder, config: BuildConfig, settings: Mapping[str, Any], workdir: str,
              sandbox: Sandbox | None) -> BuildTools:
    """:func:`setup` for the pipeline: a refusal is noted in the log and fails the build; a nearest
    version's warning joins the configuration warnings, where ``build.tools`` sits (after ``build.os``)."""
    try:
        chosen = setup(config.extra.get("build", {}).get("tools"), settings, workdir, sandbox)
    except ToolError as exc:
        rec.note("# build.tools", f"{exc}\n", description="Configuration warnings", exit_code=1)
        raise BuildFailed(str(exc)) from exc
    asked = config.extra.get("build", {}).get("tools")
    lines, warnings = host_tools.check(asked)
    if lines:
        rec.note("# build.tools", "".join(line + "\n" for line in lines), description="Build tools")
    at = sum(1 for w in config.warnings if w.startswith(("build.os:", "build.image:")))
    config.warnings[at:at] = [*([chosen.choice.warning] if chosen.choice.warning else []), *warnings]
    return chosen
