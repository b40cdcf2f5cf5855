"""Checks for every URL Docshelf will fetch itself: repository URLs (git) and outgoing webhooks (SSRF).

Git runs commands for some URL forms (``ext::sh -c ...``, ``--upload-pack=...`` as an argument), and
a repository or webhook URL can point at the server's own network (cloud metadata, Redis on
localhost). So: only ``https``, ``http``, ``git``, ``ssh`` and scp-like ``user@host:path``; nothing
that starts with ``-`` or uses ``transport::address``; and every address the host resolves to must be
public (IPv4 and IPv6, including IPv4 embedded in IPv6). Loopback and private hosts pass only with
``ALLOW_LOCAL_REPOSITORIES`` (tests, development); local paths and ``file://`` only below
``LOCAL_REPOSITORY_ROOTS`` (:mod:`app.safety.local_repositories`). Link-local and cloud metadata
addresses never pass, whatever the settings: a development server is not on them, and a metadata
service hands out the machine's cloud credentials to whoever asks.

Resolution happens twice: when the URL is stored, and again right before it is fetched, so a name
that later starts resolving to a private address (DNS rebinding) is still refused. When a name does
not resolve at all at store time (offline, or a host not up yet) the URL is accepted; the fetch-time
check (``strict=True``) refuses it if it still does not resolve.

The resolver is injectable (``app.extensions["docshelf.resolver"]``): tests map names to addresses
without touching the network.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app, has_app_context

from app.safety.local_repositories import RepositoryRules, local_path_error, rules_from_config

Resolver = Callable[[str], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

REMOTE_SCHEMES = ("https", "http", "git", "ssh")
WEBHOOK_SCHEMES = ("https", "http")
_REMOTE_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_SCP_LIKE = re.compile(r"^[^@/\s:]+@(\[[^\]/]+\]|[^:/\s\[\]]+):(?!//)(.*)$")
_HOSTNAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: Refused in every mode: link-local (IPv4 169.254/16 holds AWS, GCP, Azure, OpenStack and
#: DigitalOcean metadata) and the metadata/host services clouds put elsewhere.
_NEVER = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",
        "fe80::/10",
        "fd00:ec2::/32",  # AWS IPv6 instance metadata (fd00:ec2::254), DNS and time services
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "192.0.0.192/32",  # Oracle Cloud legacy metadata
        "168.63.129.16/32",  # Azure WireServer
    )
)


class ResolutionFailed(OSError):
    """The resolver found no address for the name."""


def default_resolver(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise ResolutionFailed(str(exc)) from exc
    return [str(info[4][0]) for info in infos]


def current_resolver() -> Resolver:
    if has_app_context():
        resolver = current_app.extensions.get("docshelf.resolver")
        if resolver is not None:
            return resolver
    return default_resolver


def _embedded(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64): each is checked too."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    embedded: list[ipaddress.IPv4Address | None] = [ip.ipv4_mapped, ip.sixtofour]
    if ip.teredo:
        embedded.append(ip.teredo[1])
    if ip in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [e for e in embedded if e is not None]


def is_never_allowed(ip: IPAddress) -> bool:
    """Link-local and cloud metadata addresses: refused even where local hosts are allowed."""
    return any(a in net for a in (ip, *_embedded(ip)) for net in _NEVER if a.version == net.version)


def is_blocked(ip: IPAddress) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified: anything not plainly global."""
    if any(is_blocked(e) for e in _embedded(ip)):
        return True
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fx.]+", host):  # 2130706433, 0x7f.1, 0177.0.0.1: legacy IPv4 spellings
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_host(host: str, *, allow_local: bool, strict: bool, resolver: Resolver | None = None) -> str | None:
    """Why connecting to ``host`` is refused, or None."""
    host = host.strip("[]").lower().rstrip(".")
    if "%" in host:  # an IPv6 zone id only makes sense for link-local addresses
        return "Link-local addresses are not allowed."
    if not host:
        return "The URL has no host."
    literal = _literal_address(host)
    if literal is None:
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return "The host name is not valid."
        if not _HOSTNAME.match(ascii_host) or len(ascii_host) > 253:
            return "The host name is not valid."
        if ascii_host == "localhost" or ascii_host.endswith(".localhost"):
            return None if allow_local else "Repositories on this server (localhost) are not allowed."
        try:
            addresses = [
                ipaddress.ip_address(a.split("%")[0]) for a in (resolver or current_resolver())(ascii_host)
            ]
        except (ResolutionFailed, ValueError):
            return f"The host {ascii_host!r} does not resolve." if strict else None
        if not addresses:
            return f"The host {ascii_host!r} does not resolve." if strict else None
    else:
        addresses = [literal]
    if any(is_never_allowed(a) for a in addresses):
        return "The host resolves to a link-local or cloud metadata address."
    if not allow_local and any(is_blocked(a) for a in addresses):
        return "The host resolves to a loopback, private, link-local, multicast or reserved address."
    return None


def check_repository_url(
    url: str, rules: RepositoryRules | None = None, *, strict: bool = False, resolver: Resolver | None = None
) -> str | None:
    """Why this repository URL may not be cloned under ``rules`` (default: production's), or None."""
    rules = rules or RepositoryRules()
    allow_local = rules.private_hosts
    if not url or url != url.strip() or any(ord(c) < 32 or ord(c) == 127 or c.isspace() for c in url):
        return "The repository URL is empty or contains whitespace or control characters."
    if url.startswith("-"):
        return "The repository URL may not start with '-'."
    if _REMOTE_HELPER.match(url):
        return "Git remote-helper URLs (transport::address, e.g. ext::) are not allowed."
    if "://" in url:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (raises ValueError on a bad port)
        except ValueError:
            return "The repository URL is malformed."
        scheme = parts.scheme.lower()
        if scheme == "file":
            return local_path_error(url, rules)
        if scheme not in REMOTE_SCHEMES:
            return f"The '{scheme}' scheme is not supported; use https, http, git or ssh."
        return check_host(parts.hostname or "", allow_local=allow_local, strict=strict, resolver=resolver)
    scp = _SCP_LIKE.match(url)
    if scp:
        return check_host(scp.group(1), allow_local=allow_local, strict=strict, resolver=resolver)
    if ":" in url.split("/", 1)[0]:  # git reads "host:path" as ssh too; ask for the explicit forms
        return "Write ssh repositories as user@host:path or ssh://host/path."
    return local_path_error(url, rules)


def check_outgoing_url(
    url: str, *, strict: bool = True, resolver: Resolver | None = None, allow_local: bool = False
) -> str | None:
    """Why Docshelf may not call this URL (webhooks and other outgoing HTTP), or None.

    ``allow_local`` lets loopback/private hosts through (``WEBHOOKS_ALLOW_LOCAL``: tests, development);
    the scheme and shape rules still apply."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018
    except ValueError:
        return "The URL is malformed."
    if parts.scheme.lower() not in WEBHOOK_SCHEMES or any(ord(c) < 33 for c in url):
        return "Only http and https URLs without whitespace are allowed."
    return check_host(parts.hostname or "", allow_local=allow_local, strict=strict, resolver=resolver)


def current_rules() -> RepositoryRules:
    """The app's repository rules (production's outside an app context)."""
    return rules_from_config(current_app.config) if has_app_context() else RepositoryRules()
