"""The HTTP side of one webhook attempt: SSRF-checked resolution pinned to the checked address.

An attempt re-checks the URL against the SSRF rules with a fresh resolution and then connects to
exactly the address that was checked (the host name only goes into ``Host`` and TLS SNI), so a name
that rebinds to a private address between check and connect gains nothing. Redirects are never
followed and at most :data:`RESPONSE_LIMIT` bytes of the answer are read.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from app.safety.urlcheck import ResolutionFailed, current_resolver
from app.services.webhooks import url_error

log = logging.getLogger(__name__)

#: Bytes of a receiver's answer that are read (and kept, for the deliveries list).
RESPONSE_LIMIT = 2048
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


@dataclass
class Attempt:
    status_code: int | None = None
    error: str | None = None
    response_body: str | None = None
    retry: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def resolve_checked(url: str) -> tuple[str | None, str | None]:
    """The address to connect to, checked by the SSRF rules in the same step, or why there is none."""
    resolver = current_resolver()
    seen: list[str] = []

    def recording(host: str) -> list[str]:
        addresses = resolver(host)
        seen.extend(addresses)
        return addresses

    reason = url_error(url, strict=True, resolver=recording)
    if reason:
        return None, reason
    if seen:  # every address passed the check; connect to the first, never resolve again
        return seen[0].split("%")[0], None
    host = (urlsplit(url).hostname or "").strip("[]")
    try:
        return str(ipaddress.ip_address(host)), None
    except ValueError:
        pass
    try:  # legacy IPv4 spellings (2130706433) were checked as the address they denote
        return socket.inet_ntoa(socket.inet_aton(host)), None
    except OSError:
        pass
    try:  # ``localhost`` with WEBHOOKS_ALLOW_LOCAL: allowed without a lookup by the check
        return resolver(host)[0], None
    except (ResolutionFailed, IndexError):
        return None, f"The host {host!r} does not resolve."


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a fixed address; ``host`` only names the site (``Host`` header)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed address, with the certificate verified for the host name (SNI)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Attempt:
    address, reason = resolve_checked(url)
    if address is None:
        return Attempt(error=f"Refused by the SSRF check: {reason}", retry=False)
    parts = urlsplit(url)
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    try:  # the check accepted an internationalised name; the Host header and SNI need its ASCII form
        host = (parts.hostname or address).encode("idna").decode("ascii")
    except UnicodeError:
        host = address
    conn = connection_class(host, port, address, timeout)
    # http.client sends the request target as ASCII: percent-encode anything else, keep the rest as is.
    target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_URL_SAFE)
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        status = response.status
        text = response.read(RESPONSE_LIMIT).decode("utf-8", "replace")
    except TimeoutError:
        return Attempt(error=f"Timed out after {timeout:g} s.")
    except ConnectionRefusedError:
        return Attempt(error="Connection refused.")
    except ssl.SSLError as exc:
        return Attempt(error=f"TLS error: {exc.reason or exc}.")
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(error=f"Connection failed: {exc.__class__.__name__}: {exc}".rstrip(": ") + ".")
    except Exception as exc:  # never leave a delivery pending because of an odd receiver or URL
        log.warning("webhook to %s failed unexpectedly", url, exc_info=True)
        return Attempt(error=f"Delivery failed: {exc.__class__.__name__}.")
    finally:
        conn.close()
    if 200 <= status < 300:
        return Attempt(status_code=status, response_body=text)
    if 300 <= status < 400:
        return Attempt(status_code=status, response_body=text,
                       error=f"HTTP {status}: redirects are not followed.")
    return Attempt(status_code=status, response_body=text, error=f"HTTP {status}")
