"""Credentials written into a repository URL (``https://user:token@host/x.git``): found, split off, masked.

Before repositories had a credentials field the only way to clone a private one was a token inside
the URL, and whatever showed the URL showed the token. These helpers are the one place that knows
where a URL keeps its user information, for three uses: :func:`masked` for every representation
(API, logs, notifications), :func:`without_userinfo` for what git and the build may see, and
:func:`split` to move a token out of a URL into the encrypted credentials field.

For http(s) and git URLs any user information is treated as secret: GitHub accepts a token as the
user name alone. For ssh only a password is: ``git@github.com`` names the account, not a secret.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
_SCP_LIKE = re.compile(r"^([^@/\s:]+)@(\[[^\]/]+\]|[^:/\s\[\]]+):(?!//)(.*)$")
_SECRET_USERINFO_SCHEMES = ("http", "https", "git")


def _userinfo(netloc: str) -> tuple[str | None, str]:
    if "@" not in netloc:
        return None, netloc
    userinfo, host = netloc.rsplit("@", 1)
    return userinfo, host


def split(url: str) -> tuple[str, str | None, str | None]:
    """``(url, username, password)`` with a password taken out of the URL; the URL is unchanged
    when it holds none (a user name alone stays: it may be an ssh or a Bitbucket account name)."""
    if "://" not in url:
        return url, None, None
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None, None
    userinfo, host = _userinfo(parts.netloc)
    if userinfo is None or ":" not in userinfo:
        return url, None, None
    user, _, password = userinfo.partition(":")
    if parts.scheme.lower() in _SECRET_USERINFO_SCHEMES:
        clean = urlunsplit(parts._replace(netloc=host))
        return clean, unquote(user) or None, unquote(password)
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host)), None, unquote(password)


def masked(url: str) -> str:
    """The URL as it may be shown anywhere: secret user information replaced by ``***``."""
    if "://" not in url or "@" not in url:  # no user information without an "@" (a list shows 100)
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    userinfo, host = _userinfo(parts.netloc)
    if userinfo is None:
        return url
    if parts.scheme.lower() in _SECRET_USERINFO_SCHEMES or ":" in userinfo:
        return urlunsplit(parts._replace(netloc=f"{MASK}@{host}"))
    return url


def without_userinfo(url: str) -> str:
    """The URL with no user information at all for http(s)/git (a web link; the build's ``origin``)."""
    if "://" not in url or "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    userinfo, host = _userinfo(parts.netloc)
    if userinfo is None:
        return url
    if parts.scheme.lower() in _SECRET_USERINFO_SCHEMES:
        return urlunsplit(parts._replace(netloc=host))
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host))


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` (lower case) the URL connects to; scp-like ``user@host:path`` is ssh.
    None for local paths and ``file://``. Credentials belong to one origin."""
    scp = _SCP_LIKE.match(url)
    if scp and "://" not in url:
        return f"ssh://{scp.group(2).lower()}"
    if "://" not in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme == "file" or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


def host_of(url: str) -> str:
    """The host name or address (no brackets, no port) the URL connects to; '' for local repositories."""
    scp = _SCP_LIKE.match(url)
    if scp and "://" not in url:
        return scp.group(2).strip("[]").lower()
    try:
        return (urlsplit(url).hostname or "") if "://" in url else ""
    except ValueError:
        return ""


def scheme_of(url: str) -> str | None:
    """``https``, ``http``, ``git``, ``ssh`` (scp-like included) or None for local repositories."""
    found = origin(url)
    return found.split("://", 1)[0] if found else None
