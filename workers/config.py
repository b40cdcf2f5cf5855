"""``.readthedocs.yaml`` (version 2) reading, validation and discovery of conf.py / mkdocs.yml without one.

Only the keys Docshelf acts on are validated strictly. Every other key is kept in the resolved config (as
Read the Docs shows it) and named in ``BuildConfig.warnings`` (see ``workers.config_warnings``), which the
build log shows first: a key that silently does nothing is a bug report waiting to happen. Paths are
relative to the checkout and may not leave it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from workers import config_warnings
from workers.search_config import SearchConfigError, SearchSettings, settings

CONFIG_NAMES = (".readthedocs.yaml", ".readthedocs.yml", "readthedocs.yaml", "readthedocs.yml")
DISCOVERY = (("sphinx", "docs/conf.py"), ("sphinx", "doc/conf.py"), ("sphinx", "conf.py"),
             ("mkdocs", "mkdocs.yml"))
FORMATS = ("htmlzip", "pdf", "epub")
SPHINX_BUILDERS = ("html", "dirhtml", "singlehtml")
JOB_NAMES = ("post_checkout", "pre_system_dependencies", "post_system_dependencies", "pre_create_environment",
             "post_create_environment", "pre_install", "post_install", "pre_build", "post_build")
#: Jobs replacing a whole step: accepted (a valid file builds), not run (a warning says so).
OVERRIDE_JOBS = ("create_environment", "install", "build")
SPHINX_BUILDER_ALIASES = {"htmldir": "dirhtml"}  # Read the Docs accepts both spellings
ALL = "all"


class ConfigError(Exception):
    """The configuration cannot be used; the message tells the user which key and why."""


@dataclass
class Submodules:
    """``submodules``, with Read the Docs' defaults: none are checked out unless the file asks.

    ``include``/``exclude`` are lists of paths or ``"all"``; an empty ``include`` makes ``exclude``
    default to ``"all"``, and the two may not both select (Read the Docs refuses that as ambiguous).
    """

    include: list[str] | str = field(default_factory=list)
    exclude: list[str] | str = ALL
    recursive: bool = False

    def resolved(self) -> dict[str, Any]:
        return {"include": self.include, "exclude": self.exclude, "recursive": self.recursive}


@dataclass
class BuildConfig:
    tool: str  # "sphinx" | "mkdocs" | "commands"
    configuration: str | None  # checkout-relative conf.py or mkdocs.yml
    source_file: str | None = None
    builder: str = "html"
    fail_on_warning: bool = False
    formats: list[str] = field(default_factory=list)
    python_install: list[dict[str, Any]] = field(default_factory=list)
    #: build.jobs that replace a step: create_environment, install, and build → {html|<format>: commands}
    overrides: dict[str, Any] = field(default_factory=dict)
    jobs: dict[str, list[str]] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    submodules: Submodules = field(default_factory=Submodules)
    search: SearchSettings = field(default_factory=SearchSettings)
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # one per key Docshelf does not act on

    def resolved(self) -> dict[str, Any]:
        """What ``Build.config`` stores: the effective configuration, defaults filled in."""
        tool = {"configuration": self.configuration, "fail_on_warning": self.fail_on_warning}
        out: dict[str, Any] = dict(self.extra)
        out.update({
            "version": "2",
            "formats": list(self.formats),
            "build": {**self.extra.get("build", {}), "jobs": {**{n: self.jobs.get(n, []) for n in JOB_NAMES},
                                                                  **self.overrides},
                      "commands": list(self.commands)},
            "python": {"install": list(self.python_install)},
            "sphinx": {**tool, "builder": self.builder} if self.tool == "sphinx" else None,
            "mkdocs": tool if self.tool == "mkdocs" else None,
            "submodules": self.submodules.resolved(),
        })
        return out


def safe_path(checkout: str, relative: str, key: str) -> str:
    """Absolute path of ``relative`` inside the checkout; symlinks and ``..`` may not escape it."""
    if not isinstance(relative, str) or not relative or os.path.isabs(relative):
        raise ConfigError(f"Invalid configuration key '{key}': expected a path relative to the repository.")
    root = os.path.realpath(checkout)
    path = os.path.realpath(os.path.join(root, relative))
    if path != root and not path.startswith(root + os.sep):
        raise ConfigError(f"Invalid configuration key '{key}': the path '{relative}' leaves the repository.")
    return path


def find_config_file(checkout: str, custom_path: str | None) -> str | None:
    if custom_path:
        path = custom_path.strip("/")
        if not os.path.isfile(safe_path(checkout, path, "readthedocs_yaml_path")):
            raise ConfigError(f"The configuration file '{path}' set for this project does not exist.")
        return path
    return next((name for name in CONFIG_NAMES if os.path.isfile(os.path.join(checkout, name))), None)


def load(checkout: str, custom_path: str | None = None) -> tuple[BuildConfig, str | None]:
    """The build configuration and the raw text of the file it came from (None when discovered)."""
    name = find_config_file(checkout, custom_path)
    raw: dict[str, Any] = {}
    text: str | None = None
    if name is not None:
        with open(safe_path(checkout, name, "configuration file"), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{name} is not valid YAML: {exc}") from exc
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{name} must be a mapping of keys to values.")
        raw = data
    config = parse(raw, checkout)
    config.source_file = name
    return config, text


def _mapping(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"Invalid configuration key '{key}': expected a mapping.")
    return value


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"Invalid configuration key '{key}': expected true or false.")
    return value


def _commands(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ConfigError(f"Invalid configuration key '{key}': expected a list of shell commands.")
    return list(value)


def parse(raw: dict[str, Any], checkout: str) -> BuildConfig:
    """The validated configuration, with a warning for each key it does not act on."""
    config = _parse(raw, checkout)
    config.warnings = config_warnings.warnings_for(raw, config)
    return config


def _parse(raw: dict[str, Any], checkout: str) -> BuildConfig:
    version = raw.get("version", 2)
    if str(version) != "2":
        raise ConfigError(f"Invalid configuration key 'version': only version 2 works, not {version!r}.")
    if raw.get("conda"):
        raise ConfigError("Invalid configuration key 'conda': Docshelf does not support conda environments.")
    build = _mapping(raw, "build")
    jobs_raw = build.get("jobs") or {}
    if not isinstance(jobs_raw, dict):
        raise ConfigError("Invalid configuration key 'build.jobs': expected a mapping.")
    unknown = sorted(set(jobs_raw) - set(JOB_NAMES) - set(OVERRIDE_JOBS))
    if unknown:
        raise ConfigError(f"Invalid configuration key 'build.jobs.{unknown[0]}': "
                          f"expected one of {', '.join(JOB_NAMES + OVERRIDE_JOBS)}.")
    jobs = {name: _commands(jobs_raw[name], f"build.jobs.{name}") for name in JOB_NAMES if jobs_raw.get(name)}
    overrides = _override_jobs(jobs_raw)
    commands = _commands(build.get("commands"), "build.commands")

    formats_raw = raw.get("formats", [])
    if formats_raw == "all":
        formats = list(FORMATS)
    elif isinstance(formats_raw, list) and all(f in FORMATS for f in formats_raw):
        formats = [f for f in FORMATS if f in formats_raw]
    else:
        raise ConfigError("Invalid configuration key 'formats': expected all or a list of htmlzip/pdf/epub.")

    install = _python_install(_mapping(raw, "python"), checkout)
    extra = {k: v for k, v in raw.items() if k not in ("version", "formats", "python", "sphinx", "mkdocs")}
    try:
        search = settings(raw.get("search"))
    except SearchConfigError as exc:
        raise ConfigError(str(exc)) from exc
    base: dict[str, Any] = {"formats": formats, "python_install": install, "jobs": jobs, "commands": commands,
                            "overrides": overrides, "search": search,
                            "submodules": _submodules(raw), "extra": extra}
    if commands:
        return BuildConfig(tool="commands", configuration=None, **base)
    if raw.get("sphinx") is not None and raw.get("mkdocs") is not None:
        raise ConfigError("Invalid configuration: use either the 'sphinx' or the 'mkdocs' key, not both.")
    for tool in ("sphinx", "mkdocs"):
        if tool in raw and raw[tool] is not None:
            section = _mapping(raw, tool)
            configuration = section.get("configuration")
            if configuration is not None:
                if not os.path.isfile(safe_path(checkout, configuration, f"{tool}.configuration")):
                    raise ConfigError(f"Invalid configuration key '{tool}.configuration': "
                                      f"'{configuration}' does not exist in the repository.")
            else:
                configuration = _discover(checkout, tool)
            builder = section.get("builder", "html")
            builder = SPHINX_BUILDER_ALIASES.get(builder, builder) if isinstance(builder, str) else builder
            if tool == "sphinx" and builder not in SPHINX_BUILDERS:
                raise ConfigError(f"Invalid configuration key 'sphinx.builder': expected one of "
                                  f"{', '.join(SPHINX_BUILDERS)}.")
            return BuildConfig(tool=tool, configuration=configuration, builder=builder,
                               fail_on_warning=_bool(section.get("fail_on_warning", False),
                                                     f"{tool}.fail_on_warning"), **base)
    tool, configuration = _discover_any(checkout)
    return BuildConfig(tool=tool, configuration=configuration, **base)


def _override_jobs(jobs_raw: dict[str, Any]) -> dict[str, Any]:
    """The jobs that replace Docshelf's own step, as Read the Docs runs them: ``create_environment``
    instead of making the virtualenv, ``install`` instead of ``python.install``, ``build.<format>``
    instead of building that format (whose output is then read from ``$READTHEDOCS_OUTPUT/<format>/``)."""
    overrides: dict[str, Any] = {}
    for name in ("create_environment", "install"):
        commands = _commands(jobs_raw.get(name), f"build.jobs.{name}")
        if commands:
            overrides[name] = commands
    per_format = jobs_raw.get("build") or {}
    if not isinstance(per_format, dict) or not set(per_format) <= {"html", *FORMATS}:
        raise ConfigError("Invalid configuration key 'build.jobs.build': expected a mapping of html, "
                          "htmlzip, pdf or epub to commands.")
    built = {fmt: _commands(commands, f"build.jobs.build.{fmt}") for fmt, commands in per_format.items()}
    if any(built.values()):
        overrides["build"] = {fmt: commands for fmt, commands in built.items() if commands}
    return overrides


def _submodules(raw: dict[str, Any]) -> Submodules:
    """``submodules`` as Read the Docs reads it (``include`` and ``exclude`` may not both select)."""
    section = _mapping(raw, "submodules")
    include = _submodule_paths(section.get("include", []), "submodules.include")
    exclude = _submodule_paths(section.get("exclude", [] if include else ALL), "submodules.exclude")
    if include and exclude:
        raise ConfigError("Invalid configuration key 'submodules': use either 'include' or 'exclude', "
                          "not both.")
    return Submodules(include=include, exclude=exclude,
                      recursive=_bool(section.get("recursive", False), "submodules.recursive"))


def _submodule_paths(value: Any, key: str) -> list[str] | str:
    if value == ALL:
        return ALL
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip("/") for p in value):
        raise ConfigError(f"Invalid configuration key '{key}': expected all or a list of submodule paths.")
    return list(dict.fromkeys(p.rstrip("/") for p in value))


def _discover(checkout: str, tool: str) -> str:
    for kind, path in DISCOVERY:
        if kind == tool and os.path.isfile(os.path.join(checkout, path)):
            return path
    wanted = "conf.py" if tool == "sphinx" else "mkdocs.yml"
    raise ConfigError(f"No {wanted} found; set '{tool}.configuration'.")


def _discover_any(checkout: str) -> tuple[str, str]:
    for tool, path in DISCOVERY:
        if os.path.isfile(os.path.join(checkout, path)):
            return tool, path
    raise ConfigError("No documentation found: add a .readthedocs.yaml, or a docs/conf.py, doc/conf.py, "
                      "conf.py or mkdocs.yml to the repository.")


def _python_install(python: dict[str, Any], checkout: str) -> list[dict[str, Any]]:
    entries = python.get("install") or []
    if not isinstance(entries, list):
        raise ConfigError("Invalid configuration key 'python.install': expected a list.")
    resolved: list[dict[str, Any]] = []
    for index, entry in enumerate(entries):
        key = f"python.install.{index}"
        if not isinstance(entry, dict):
            raise ConfigError(f"Invalid configuration key '{key}': expected a mapping.")
        if "requirements" in entry:
            path = entry["requirements"]
            if not os.path.isfile(safe_path(checkout, path, f"{key}.requirements")):
                raise ConfigError(f"Invalid configuration key '{key}.requirements': '{path}' does not exist.")
            resolved.append({"requirements": path})
        elif "path" in entry:
            safe_path(checkout, entry["path"], f"{key}.path")
            method = entry.get("method", "pip")
            if method not in ("pip", "setuptools"):
                raise ConfigError(f"Invalid configuration key '{key}.method': expected pip or setuptools.")
            extras = entry.get("extra_requirements", [])
            if not isinstance(extras, list) or not all(isinstance(e, str) for e in extras):
                raise ConfigError(f"Invalid configuration key '{key}.extra_requirements': expected a list.")
            resolved.append({"path": entry["path"], "method": method, "extra_requirements": extras})
        else:
            raise ConfigError(f"Invalid configuration key '{key}': expected 'requirements' or 'path'.")
    return resolved
