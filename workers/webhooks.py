"""RQ entry point for outgoing webhooks: takes a delivery id, hands over to the service."""

from __future__ import annotations

from app.services import webhook_delivery
from workers.jobs import _app_context


def deliver(delivery_id: int) -> str:
    """One attempt of a webhook delivery (retries are queued by the service with ``enqueue_in``)."""
    with _app_context():
        return webhook_delivery.deliver(delivery_id)
