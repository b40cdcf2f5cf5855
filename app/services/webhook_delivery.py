"""Sending webhooks: firing an event (delivery rows, then jobs) and one delivery attempt.

Firing runs inside a build trigger or finish, so it must never break or slow them: one query finds
the project's active webhooks (none: done), rows are written before anything is queued, and any
failure (Redis down) is logged and recorded on the delivery, never raised.

An attempt re-checks the URL against the SSRF rules with a fresh resolution and then connects to
exactly the address that was checked (the host name only goes into ``Host`` and TLS SNI), so a name
that rebinds to a private address between check and connect gains nothing. Redirects are never
followed and at most :data:`RESPONSE_LIMIT` bytes of the answer are read. Failures are retried with
the configured delays (``enqueue_in``; the worker runs RQ's scheduler), except an SSRF refusal,
which is final. The body is signed like GitHub's webhooks: ``X-Hub-Signature-256: sha256=<hmac>``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import logging
import socket
import ssl
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app
from sqlalchemy import select, update

from app.crypto import decrypt
from app.extensions import WEBHOOKS_QUEUE, db, get_queue
from app.models import Build, Project, Webhook, WebhookDelivery
from app.models.base import utcnow
from app.security.urlcheck import ResolutionFailed, current_resolver
from app.services.webhooks import payload_data, render_body, url_error

log = logging.getLogger(__name__)

DELIVER = "workers.webhooks.deliver"
USER_AGENT = "Docshelf-Webhooks/1"
#: Bytes of a receiver's answer that are read (and kept, for the deliveries list).
RESPONSE_LIMIT = 2048
QUEUE_ERROR = "The delivery could not be queued (the queue is unavailable)."
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


def finish_event(build: Build) -> str:
    """A finished build passed or failed; cancelled (by a user or housekeeping) counts as failed."""
    return "build:passed" if build.success else "build:failed"


def fire(build: Build, event: str, project: Project | None = None) -> list[int]:
    """Record and queue ``event`` for every active webhook of the build's project that wants it.

    Returns the ids of the deliveries created. Never raises: a webhook must not fail a build.
    """
    try:
        return _fire(build, event, project)
    except Exception:
        log.warning("could not fire %s for build %s", event, build.id, exc_info=True)
        db.session.rollback()
        return []


def _fire(build: Build, event: str, project: Project | None) -> list[int]:
    hooks = db.session.scalars(
        select(Webhook)
        .where(Webhook.project_id == build.project_id, Webhook.active.is_(True))
        .order_by(Webhook.id)
    ).all()
    hooks = [hook for hook in hooks if event in (hook.events or [])]
    if not hooks:
        return []
    values, default = payload_data(build, event, project or build.project)
    deliveries = []
    for hook in hooks:
        body, error = render_body(hook.payload, values, default)
        delivery = WebhookDelivery(
            webhook_id=hook.id,
            build_id=build.id,
            event=event,
            request_body=body,
            state="failed" if error else "pending",
            error=error,
        )
        db.session.add(delivery)
        deliveries.append(delivery)
    db.session.flush()
    pending = [d.id for d in deliveries if d.state == "pending"]
    ids = [d.id for d in deliveries]
    db.session.commit()
    for position, delivery_id in enumerate(pending):
        if not schedule(delivery_id, attempt=1):
            # Redis is down: do not wait for its connect timeout once per webhook.
            _close_unqueued(pending[position + 1:])
            break
    return ids


def schedule(delivery_id: int, attempt: int, delay: float = 0) -> bool:
    """Queue attempt number ``attempt``; when Redis refuses, the delivery is closed as failed."""
    job_id = f"webhook-delivery-{delivery_id}-{attempt}"
    timeout = int(float(current_app.config.get("WEBHOOK_TIMEOUT", 10)) * 3) + 30
    try:
        queue = get_queue(WEBHOOKS_QUEUE)
        options: dict[str, Any] = {"job_id": job_id, "job_timeout": timeout, "result_ttl": 3600,
                                   "failure_ttl": 7 * 24 * 3600}
        if delay > 0:
            queue.enqueue_in(timedelta(seconds=delay), DELIVER, delivery_id, **options)
        else:
            queue.enqueue(DELIVER, delivery_id, **options)
    except Exception as exc:
        log.warning("could not queue webhook delivery %s: %s", delivery_id, exc)
        _close_unqueued([delivery_id])
        return False
    return True


def _close_unqueued(delivery_ids: list[int]) -> None:
    if delivery_ids:
        db.session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id.in_(delivery_ids)).values(
                state="failed", error=QUEUE_ERROR
            )
        )
        db.session.commit()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delays() -> list[float]:
    raw = str(current_app.config.get("WEBHOOK_RETRY_DELAYS") or "")
    delays = []
    for part in raw.split(","):
        try:
            delays.append(max(0.0, float(part)))
        except ValueError:
            continue
    return delays or [10.0, 60.0, 300.0]


def deliver(delivery_id: int) -> str:
    """One attempt of a delivery (the RQ job's body); returns the delivery's state afterwards."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.state != "pending":
        return "gone"  # the webhook was deleted, or another attempt already closed it
    hook = delivery.webhook
    try:
        secret = decrypt(hook.secret_encrypted)
    except ValueError:  # the secret key was rotated: only a new webhook secret helps
        secret = None
    if not hook.active:
        result = Attempt(error="The webhook was deactivated before this delivery.", retry=False)
    elif secret is None:
        result = Attempt(error="The webhook's secret cannot be decrypted with the current key.", retry=False)
    else:
        body = delivery.request_body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Docshelf-Event": delivery.event,
            "X-Docshelf-Delivery": str(delivery.id),
            "X-Hub-Signature-256": signature(secret, body),
        }
        result = send(hook.url, body, headers, float(current_app.config.get("WEBHOOK_TIMEOUT", 10)))
    delivery.attempts += 1
    delivery.last_attempt = utcnow()
    delivery.status_code = result.status_code
    delivery.error = result.error
    # PostgreSQL text cannot hold NUL; a receiver's answer may contain anything.
    delivery.response_body = result.response_body.replace("\x00", "\ufffd") if result.response_body else None
    retries = int(current_app.config.get("WEBHOOK_RETRIES", 3))
    if result.ok:
        delivery.state, delivery.delivered = "delivered", delivery.last_attempt
    elif not result.retry or delivery.attempts > retries:
        delivery.state = "failed"
    attempts, state = delivery.attempts, delivery.state
    db.session.commit()
    if state == "pending":
        delays = retry_delays()
        schedule(delivery_id, attempts + 1, delays[min(attempts, len(delays)) - 1])
        db.session.expire_all()
        state = db.session.get(WebhookDelivery, delivery_id).state  # type: ignore[union-attr]
    log.info("webhook delivery %s attempt %s: %s", delivery_id, attempts, result.error or result.status_code)
    return state


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
