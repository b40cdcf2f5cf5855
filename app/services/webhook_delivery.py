"""Sending webhooks: firing an event (delivery rows, then jobs) and one delivery attempt.

Firing runs inside a build trigger or finish, so it must never break or slow them: one query finds
the project's active webhooks (none: done), rows are written before anything is queued, and any
failure (Redis down) is logged and recorded on the delivery, never raised.

An attempt (the HTTP side is :mod:`app.services.webhook_transport`: SSRF-checked and pinned to the
checked address) that fails is retried with the configured delays (``enqueue_in``; the worker runs
RQ's scheduler), except an SSRF refusal, which is final; housekeeping re-queues a delivery whose job
was lost (:func:`requeue_stalled`). The body is signed like GitHub's webhooks:
``X-Hub-Signature-256: sha256=<hmac>``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.crypto import decrypt, hub_signature
from app.extensions import db
from app.models import Build, Project, Webhook, WebhookDelivery
from app.models.base import utcnow
from app.services import queueing
from app.services.webhook_transport import Attempt, send
from app.services.webhooks import payload_data, render_body

log = logging.getLogger(__name__)

USER_AGENT = "Docshelf-Webhooks/1"
QUEUE_ERROR = "The delivery could not be queued (the queue is unavailable)."


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
    timeout = int(float(current_app.config.get("WEBHOOK_TIMEOUT", 10)) * 3) + 30
    try:
        queueing.enqueue_webhook_attempt(delivery_id, attempt, timeout, delay)
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
            "X-Hub-Signature-256": hub_signature(secret, body),
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


def requeue_stalled(grace: float) -> list[int]:
    """Housekeeping: re-queue pending deliveries whose next attempt's job is gone.

    A worker killed in the middle of an attempt (or a Redis that lost its data) would otherwise
    leave the delivery ``pending`` for ever. Only deliveries idle for ``grace`` seconds are looked
    at, so a job queued a moment ago is never doubled; a scheduled retry is not lost, just waiting.
    """
    cutoff = utcnow() - timedelta(seconds=grace)
    idle_since = func.coalesce(WebhookDelivery.last_attempt, WebhookDelivery.created)
    stalled = db.session.execute(
        select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(WebhookDelivery.state == "pending", idle_since < cutoff)
        .order_by(WebhookDelivery.id)
    ).all()
    requeued = []
    for delivery_id, attempts in stalled:
        attempt = attempts + 1
        if queueing.is_lost(queueing.webhook_job_id(delivery_id, attempt)) and schedule(delivery_id, attempt):
            requeued.append(delivery_id)
    return requeued
