"""Name every ``.readthedocs.yaml`` key Docshelf does not act on, so nothing is silently ignored.

A file written for Read the Docs builds here, but some of its keys mean nothing on Docshelf (it has no
build images, no apt) and some are typos. Read the Docs refuses unknown keys; Docshelf
builds anyway and says, at the top of the build log, which keys it did not use and what it did instead.
Only keys that really change the build stay silent.

The key names below are Read the Docs' (config file v2 reference), so a warning reads like the key the
user wrote. This module knows the schema and the reasons; ``workers.config`` validates what it uses.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workers.config import BuildConfig

TOP_LEVEL = ("version", "formats", "build", "python", "conda", "sphinx", "mkdocs", "submodules", "search")
BUILD = ("os", "tools", "apt_packages", "jobs", "commands")
PYTHON = ("install",)
SPHINX = ("configuration", "builder", "fail_on_warning")
MKDOCS = ("configuration", "fail_on_warning")
SUBMODULES = ("include", "exclude", "recursive")
SEARCH = ("ranking", "ignore")
INSTALL_KEYS = {"requirements": ("requirements",), "path": ("path", "method", "extra_requirements")}
#: build.tools other than python that workers.host_tools acts on (and warns about itself).
HOST_TOOLS = ("nodejs", "rust", "golang", "ruby")
OBSOLETE = {
    "build.image": "obsolete (Read the Docs replaced it by build.os); Docshelf builds on the build "
                   "server's own system.",
    "python.version": "obsolete (Read the Docs replaced it by build.tools.python, which Docshelf uses); "
                      "without that key Docshelf builds with the worker's Python {python}.",
    "python.system_packages": "obsolete (Read the Docs removed it); Docshelf's build environment always sees "
                              "the build server's documentation tools (Sphinx, MkDocs, pip).",
}
Warn = Callable[[str, str], None]
NOTHING_INSTALLED = "only what is installed on the build server is available."
COMMANDS_REPLACE = "not used: build.commands replaces every build step"


def _python() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown(key: str, known: tuple[str, ...] | list[str]) -> str:
    name = key.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f" (a typo of '{close[0]}'?)" if close else ""
    return f"not a Read the Docs configuration key{hint}; ignored."


def warnings_for(raw: dict[str, Any], config: BuildConfig) -> list[str]:
    """``"key: reason"`` for each key path in ``raw`` that the build does not act on, in file order."""
    out: list[str] = []

    def warn(key: str, reason: str) -> None:
        out.append(f"{key}: {reason}")

    custom = config.tool == "commands"
    for key, value in raw.items():
        key = str(key)
        if key not in TOP_LEVEL:
            warn(key, _unknown(key, TOP_LEVEL))
        elif isinstance(value, dict) and value:
            section = SECTIONS.get(key)
            if section is not None:
                section(value, config, warn)
        elif key == "conda" and not value:
            warn(key, "empty; ignored (Docshelf does not support conda environments).")
        elif key == "formats" and value:
            _formats(config, warn)
    if custom:
        for key in ("sphinx", "mkdocs"):
            if raw.get(key) is not None:
                warn(key, f"{COMMANDS_REPLACE}, including the documentation tool.")
    return out


def _formats(config: BuildConfig, warn: Warn) -> None:
    if config.tool == "commands":
        warn("formats", f"{COMMANDS_REPLACE}: the downloads are whatever the commands leave in "
                        "$READTHEDOCS_OUTPUT/<format>/.")
    elif config.tool == "mkdocs":
        skipped = [f for f in config.formats if f != "htmlzip"]
        if skipped:
            warn("formats", f"{', '.join(skipped)} cannot be built from MkDocs (as on Read the Docs); "
                            "only htmlzip is.")


def _build(section: dict[str, Any], config: BuildConfig, warn: Warn) -> None:
    for key, value in section.items():
        path = f"build.{key}"
        if key == "os":  # accepted: the log's sandbox note says the build runs on the server's own system
            continue
        elif key == "tools":
            tools = value if isinstance(value, dict) else {}
            for tool, version in tools.items():
                if tool == "python" or tool in HOST_TOOLS:  # acted on: workers.tools, workers.host_tools
                    continue
                else:
                    warn(f"build.tools.{tool}", f"Docshelf does not install {tool} {_shown(version)}; "
                                                + NOTHING_INSTALLED)
            if not tools:
                warn(path, "ignored (empty or not a mapping).")
        elif key == "apt_packages" and not isinstance(value, list):  # a list: workers.apt acts on it
            warn(path, f"ignored: not a list of package names ({_shown(value)}).")
        elif key == "jobs" and isinstance(value, dict):
            _jobs(value, config, warn)
        elif path in OBSOLETE:
            warn(path, OBSOLETE[path].format(python=_python()))
        elif key not in BUILD:
            warn(path, _unknown(path, BUILD))


def _jobs(jobs: dict[str, Any], config: BuildConfig, warn: Warn) -> None:
    for name, commands in jobs.items():
        if not commands:
            continue
        path = f"build.jobs.{name}"
        if name == "build" and isinstance(commands, dict) and config.tool != "commands":
            for fmt in commands:
                if fmt != "html" and fmt not in config.formats:
                    warn(f"{path}.{fmt}", f"not run: '{fmt}' is not in formats.")
        elif config.tool == "commands" and name != "post_checkout":
            warn(path, f"{COMMANDS_REPLACE} but post_checkout (Read the Docs refuses build.jobs together "
                       "with build.commands).")


def _python_section(section: dict[str, Any], config: BuildConfig, warn: Warn) -> None:
    for key, value in section.items():
        path = f"python.{key}"
        if path in OBSOLETE:
            warn(path, OBSOLETE[path].format(python=_python()))
        elif key not in PYTHON:
            warn(path, _unknown(path, PYTHON))
        elif config.tool == "commands" and value:
            warn(path, f"{COMMANDS_REPLACE}, including installing packages; run pip in build.commands.")
        elif isinstance(value, list):
            for index, entry in enumerate(value):
                _install_entry(entry, f"python.install.{index}", warn)


def _install_entry(entry: Any, path: str, warn: Warn) -> None:
    if not isinstance(entry, dict):
        return
    known = INSTALL_KEYS["requirements" if "requirements" in entry else "path"]
    for key in entry:
        if key not in known:
            if key in INSTALL_KEYS["path"]:
                warn(f"{path}.{key}", "only used together with 'path'; ignored.")
            else:
                warn(f"{path}.{key}", _unknown(str(key), known))
    if "path" in entry and entry.get("method") == "setuptools":
        warn(f"{path}.method", "Docshelf installs with pip (setuptools installs are deprecated on Read the "
                               "Docs); 'pip install' runs instead.")


def _tool_section(name: str, known: tuple[str, ...]) -> Callable[[dict[str, Any], BuildConfig, Warn], None]:
    def check(section: dict[str, Any], config: BuildConfig, warn: Warn) -> None:
        if config.tool != name:  # build.commands: warnings_for names the whole section
            return
        for key in section:
            if key not in known:
                warn(f"{name}.{key}", _unknown(f"{name}.{key}", known))
    return check


def _submodules(section: dict[str, Any], config: BuildConfig, warn: Warn) -> None:
    for key in section:
        if key not in SUBMODULES:
            warn(f"submodules.{key}", _unknown(f"submodules.{key}", SUBMODULES))


def _search(section: dict[str, Any], config: BuildConfig, warn: Warn) -> None:
    for key in section:
        path = f"search.{key}"
        if key not in SEARCH:  # ranking and ignore are acted on (workers/search_config.py)
            warn(path, _unknown(path, SEARCH))


SECTIONS: dict[str, Callable[[dict[str, Any], BuildConfig, Warn], None]] = {
    "build": _build,
    "python": _python_section,
    "sphinx": _tool_section("sphinx", SPHINX),
    "mkdocs": _tool_section("mkdocs", MKDOCS),
    "submodules": _submodules,
    "search": _search,
}
