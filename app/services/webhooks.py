"""Outgoing webhooks: validation, the secret, and the payload (Read the Docs' template variables).

A template is not Jinja: ``{{ name }}`` (or ``{{name}}``) placeholders are replaced by the value as a
JSON-escaped string *without* its quotes, so ``"text": "Build {{ build.id }} of {{ project.name }}"``
stays valid JSON whatever a project name contains, and nothing in a user template is ever executed.
Unknown placeholders are left as they are, as Read the Docs does. A template must render to valid
JSON with sample values when it is stored; a body that still fails to parse at send time (e.g. an
unquoted ``{{ build.commit }}`` on a build without a commit) is not sent (see webhook_delivery).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from app.crypto import encrypt, new_shared_secret, shared_secret_error
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Build, Project, User, Version, Webhook, WebhookDelivery
from app.models.base import utcnow
from app.models.webhook import WEBHOOK_EVENTS
from app.safety.urlcheck import Resolver, check_outgoing_url
from app.urls import docs_url, site_url

MAX_URL_LENGTH = 1024
MAX_PAYLOAD_LENGTH = 20_000
MAX_WEBHOOKS_PER_PROJECT = 20
#: Read the Docs' substitution names (``organization.*`` has no meaning here) with what a template is
#: rendered with when it is validated: quotes and backslashes included, so a template that only
#: works for tame values is caught now rather than at the first real build.
SAMPLE_VALUES = {
    "event": "build:passed",
    "build.id": "1",
    "build.commit": "0123456789abcdef0123456789abcdef01234567",
    "build.url": "https://docs.example.com/projects/sample/builds/1/",
    "build.docs_url": "https://docs.example.com/docs/sample/en/latest/",
    "build.start_date": "2026-01-01T00:00:00",
    "project.slug": "sample",
    "project.name": 'Sample "docs" \\ project',
    "project.url": "https://docs.example.com/projects/sample/",
    "version.slug": "latest",
    "version.name": "latest",
    "invoker.name": "alice",
}
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z_]+)?)\s*\}\}")


def render_template(template: str, values: Mapping[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        return json.dumps(str(values[name]))[1:-1]

    return _PLACEHOLDER.sub(substitute, template)


def webhooks_query(project: Project) -> Select[Webhook]:
    return (
        select(Webhook)
        .where(Webhook.project_id == project.id)
        .options(joinedload(Webhook.project, innerjoin=True))
        .order_by(Webhook.id)
    )


def get_webhook(project: Project, webhook_id: int) -> Webhook:
    webhook = db.session.scalars(webhooks_query(project).where(Webhook.id == webhook_id)).first()
    if webhook is None:
        raise NotFound("No Webhook matches the given query.")
    return webhook


def deliveries_query(webhook: Webhook) -> Select[WebhookDelivery]:
    """Newest first: the maintainer is looking for what just happened."""
    return (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id)
        .options(
            joinedload(WebhookDelivery.webhook, innerjoin=True).joinedload(Webhook.project, innerjoin=True)
        )
        .order_by(WebhookDelivery.id.desc())
    )


def allow_local() -> bool:
    return bool(current_app.config.get("WEBHOOKS_ALLOW_LOCAL"))


def url_error(url: str, *, strict: bool = False, resolver: Resolver | None = None) -> str | None:
    """Why this URL may not receive webhooks (scheme, shape, SSRF), or None.

    Not strict when stored: a name that does not resolve yet is accepted, and every delivery checks
    again (strictly) right before connecting.
    """
    if len(url) > MAX_URL_LENGTH:
        return f"Ensure this field has no more than {MAX_URL_LENGTH} characters."
    return check_outgoing_url(url, strict=strict, resolver=resolver, allow_local=allow_local())


def _check(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the fields present in ``data``; return them normalised (events deduplicated, in order)."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "url" in data:
        reason = url_error(data["url"])
        if reason:
            errors["url"] = [reason]
        clean["url"] = data["url"]
    if "events" in data:
        events = data["events"]
        unknown = [e for e in events if e not in WEBHOOK_EVENTS]
        if unknown:
            errors["events"] = [f"Unknown event {unknown[0]!r}; use {', '.join(WEBHOOK_EVENTS)}."]
        elif not events:
            errors["events"] = ["Choose at least one event."]
        clean["events"] = [e for e in WEBHOOK_EVENTS if e in events]
    if "payload" in data:
        payload = data["payload"] or None
        message = payload_error(payload) if payload else None
        if message:
            errors["payload"] = [message]
        clean["payload"] = payload
    if data.get("secret") is not None:
        secret = data["secret"]
        error = shared_secret_error(secret)
        if error:
            errors["secret"] = [error]
        clean["secret"] = secret
    if "active" in data:
        clean["active"] = bool(data["active"])
    if errors:
        name, messages = next(iter(errors.items()))
        raise ValidationError(f"{name}: {messages[0]}", errors=errors)
    return clean


def payload_error(template: str) -> str | None:
    if len(template) > MAX_PAYLOAD_LENGTH:
        return f"Ensure this field has no more than {MAX_PAYLOAD_LENGTH} characters."
    try:
        json.loads(render_template(template, SAMPLE_VALUES))
    except ValueError as exc:
        return f"The payload template does not render to valid JSON ({exc})."
    return None


def create_webhook(project: Project, data: Mapping[str, Any]) -> Webhook:
    """Store a webhook; the returned instance carries the secret in clear (``clear_secret``) once."""
    clean = _check({"active": True, **data})
    count = db.session.scalar(select(func.count(Webhook.id)).where(Webhook.project_id == project.id)) or 0
    if count >= MAX_WEBHOOKS_PER_PROJECT:
        raise ValidationError(
            f"A project can have at most {MAX_WEBHOOKS_PER_PROJECT} webhooks.",
            errors={"url": [f"A project can have at most {MAX_WEBHOOKS_PER_PROJECT} webhooks."]},
        )
    secret = clean.pop("secret", None) or new_shared_secret()
    webhook = Webhook(project=project, secret_encrypted=encrypt(secret), **clean)
    db.session.add(webhook)
    db.session.commit()
    webhook.clear_secret = secret
    return webhook


def update_webhook(webhook: Webhook, data: Mapping[str, Any]) -> Webhook:
    clean = _check(data)
    secret = clean.pop("secret", None)
    if secret:
        webhook.secret_encrypted = encrypt(secret)
    for key, value in clean.items():
        setattr(webhook, key, value)
    db.session.commit()
    return webhook


def delete_webhook(webhook: Webhook) -> None:
    db.session.delete(webhook)  # its deliveries go with it (ON DELETE CASCADE)
    db.session.commit()


def payload_data(build: Build, event: str, project: Project) -> tuple[dict[str, str], dict[str, Any]]:
    """Template values (Read the Docs' names) and the default JSON payload for one event."""
    version = db.session.get(Version, build.version_id) if build.version_id else None
    invoker = db.session.get(User, build.triggered_by_id) if build.triggered_by_id else None
    docs = docs_url(project, build.version_slug)
    urls = {
        "build": site_url("projects", project.slug, "builds", build.id),
        "project": site_url("projects", project.slug),
        "version": site_url("projects", project.slug, "versions", build.version_slug),
    }
    start = build.started or build.created or utcnow()
    values = {
        "event": event,
        "build.id": str(build.id),
        "build.commit": build.commit or "",
        "build.url": urls["build"],
        "build.docs_url": docs,
        # Read the Docs' format: naive UTC, no microseconds.
        "build.start_date": start.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat(),
        "project.slug": project.slug,
        "project.name": project.name,
        "project.url": urls["project"],
        "version.slug": build.version_slug,
        "version.name": version.verbose_name if version else build.version_slug,
        "invoker.name": invoker.username if invoker else "",
    }
    default = {
        "event": event,
        "build": {
            "id": build.id,
            "state": build.state,
            "success": build.success,
            "error": build.error,
            "commit": build.commit,
            "version": build.version_slug,
            "urls": urls,
        },
        "project": {"slug": project.slug, "name": project.name},
        "docs_url": docs,
    }
    return values, default


def render_body(
    template: str | None, values: dict[str, str], default: dict[str, Any]
) -> tuple[str, str | None]:
    """The body to send, and why it must not be sent (a template that is not JSON for this build)."""
    if not template:
        return json.dumps(default, sort_keys=True), None
    body = render_template(template, values)
    try:
        json.loads(body)
    except ValueError:
        return body, "The payload template did not render to valid JSON for this build; nothing was sent."
    return body, None
