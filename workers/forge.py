"""RQ entry point for pull-request commit statuses: takes a build id, hands over to the service."""

from __future__ import annotations

from app.services import forge_status
from workers.jobs import _app_context


def send_status(build_id: int, attempt: int) -> str:
    """One attempt to report a PR build's state to its forge (retries are queued by the service)."""
    with _app_context():
        return forge_status.send_status(build_id, attempt)
