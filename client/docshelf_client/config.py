"""Client profiles: which server to talk to and with which token.

A TOML file (``DOCSHELF_CLIENT_CONFIG`` or ``~/.config/docshelf/client.toml``) holds named profiles under
``[servers.<name>]`` and a top-level ``default``. Environment variables win over the file so CI jobs can
run the client with no file at all: ``DOCSHELF_URL``, ``DOCSHELF_TOKEN``, ``DOCSHELF_PROFILE``.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PROFILE = "default"
DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass
class Profile:
    """The resolved connection settings of one invocation."""

    name: str
    url: str
    token: str | None


def config_path() -> Path:
    """Where profiles are stored; overridable so tests and CI never touch the real home directory."""
    explicit = os.environ.get("DOCSHELF_CLIENT_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "docshelf" / "client.toml"


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The parsed file, or an empty config when there is none yet."""
    path = path or config_path()
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _toml_value(value: Any) -> str:
    # JSON string escaping is valid TOML basic-string escaping for the values we store.
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(str(value))


def dump_config(config: dict[str, Any]) -> str:
    """Serialize the flat shape this client uses (top-level scalars plus ``[servers.<name>]`` tables)."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in config.items() if not isinstance(value, dict)]
    for name, server in sorted((config.get("servers") or {}).items()):
        lines.append("")
        lines.append(f"[servers.{json.dumps(name)}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in server.items() if value is not None)
    return "\n".join(lines).lstrip("\n") + "\n"


def save_config(config: dict[str, Any], path: Path | None = None) -> Path:
    """Write the file readable by its owner only: it holds API tokens."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(dump_config(config))
    return path


def profile_name(explicit: str | None, config: dict[str, Any]) -> str:
    return explicit or os.environ.get("DOCSHELF_PROFILE") or config.get("default") or DEFAULT_PROFILE


def resolve_profile(explicit: str | None = None, url: str | None = None) -> Profile:
    """Command-line option, then environment, then the profile in the file, then the built-in default."""
    config = load_config()
    name = profile_name(explicit, config)
    server = (config.get("servers") or {}).get(name) or {}
    return Profile(
        name=name,
        url=(url or os.environ.get("DOCSHELF_URL") or server.get("url") or DEFAULT_URL).rstrip("/"),
        token=os.environ.get("DOCSHELF_TOKEN") or server.get("token"),
    )


def store_profile(name: str, url: str, token: str, make_default: bool) -> Path:
    """Save (or replace) one profile, keeping the others."""
    config = load_config()
    servers = dict(config.get("servers") or {})
    servers[name] = {"url": url.rstrip("/"), "token": token}
    config["servers"] = servers
    if make_default or "default" not in config:
        config["default"] = name
    return save_config(config)
