"""Receiving endpoints at Read the Docs' own URLs (/api/v2/webhook/...), anonymous by design.

The sender proves it knows the integration's secret (GitHub: an HMAC of the raw body; GitLab and
the generic API: the secret itself), so these views declare themselves open to anonymous callers
(no maintainer check) and exempt from the per-IP anonymous rate limit (GitHub and GitLab send every
customer's hooks from a few shared addresses); wrong secrets have a limit of their own
(:mod:`app.security.webhook_guard`). GitHub and the generic API may send
``application/x-www-form-urlencoded`` bodies (declared in ``body_formats``).
"""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import parse_qs

from flask import request

from app.api.base import FORM, JSON, ApiView, Blueprint
from app.api.integrations.schemas import GenericWebhookSchema, WebhookResponseSchema
from app.errors import ValidationError
from app.security.webhook_guard import failures_limited
from app.services import integration_events as events
from app.services import integrations as service
from app.services import pull_requests

blp = Blueprint(
    "incoming_webhooks",
    __name__,
    url_prefix="/api/v2/webhook",
    description="Incoming webhook receivers (Read the Docs' URLs)",
)

_DELIVERY_ID = re.compile(r"^[\x21-\x7e]{1,255}$")
_FORM = "application/x-www-form-urlencoded"
_REPLAYED = {"Idempotent-Replayed": "true"}


def _guarded(integration: Any) -> AbstractContextManager[None]:
    """Wrong secrets are counted per client address and per integration (app.security.webhook_guard)."""
    return failures_limited(integration.id, request.remote_addr or "unknown")


def _delivery_id(*headers: str) -> str | None:
    for name in headers:
        value = request.headers.get(name)
        if value:
            if not _DELIVERY_ID.match(value):
                raise ValidationError(f"{name} must be 1 to 255 visible ASCII characters.")
            return value
    return None


def _form() -> dict[str, list[str]]:
    try:
        return parse_qs(request.get_data(cache=True).decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise ValidationError("The form body is not valid UTF-8.") from None


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError("The body must be a JSON object.")
    return data


def _github_payload() -> dict[str, Any]:
    if request.mimetype != _FORM:
        return _object(request.get_json(silent=True))
    raw = (_form().get("payload") or [""])[0]
    try:  # the form's ``payload`` is JSON the input guards did not see: parse it with the same care
        return _object(json.loads(raw))
    except (ValueError, RecursionError):
        raise ValidationError("The form field `payload` is not a JSON object.") from None


def _receive(
    project: Any,
    integration: Any,
    event: str,
    delivery_id: str | None,
    changes: list[events.RefChange],
    note: str | None,
    default_branch: str | None = None,
) -> Any:
    """Apply the changes once per delivery id; a replay answers the first outcome, marked as such."""
    body, replayed = service.receive(
        integration,
        event=event,
        delivery_id=delivery_id,
        act=lambda: _apply(project, integration, changes, note, default_branch),
    )
    return (body, 200, _REPLAYED) if replayed else body


def _receive_pr(
    project: Any,
    integration: Any,
    event: str,
    delivery_id: str | None,
    pr: pull_requests.PullRequest | None,
    note: str | None,
) -> Any:
    """A pull/merge request event, once per delivery id like the others (:func:`_receive`)."""

    def act() -> dict[str, Any]:
        outcome = (pull_requests.apply_pull_request(project, integration, pr) if pr is not None
                   else events.Outcome())
        if note:
            outcome.notes.insert(0, note)
        return outcome.body(project)

    body, replayed = service.receive(integration, event=event, delivery_id=delivery_id, act=act)
    return (body, 200, _REPLAYED) if replayed else body


@blp.route("/github/<project_slug>/<int:integration_id>/")
class GitHubWebhook(ApiView):
    scopes = {"post": None}
    anonymous = ("post",)
    anonymous_rate_limit = False
    body_formats = (JSON, FORM)

    @blp.doc(requestBody={"content": {"application/json": {"schema": {"type": "object"}}}})
    @blp.response(200, WebhookResponseSchema)
    @blp.errors(400, 401, 403, 404)
    def post(self, project_slug: str, integration_id: int) -> Any:
        """Receive a GitHub webhook (push, create, delete, pull_request, ping), signed with its secret"""
        project, integration = service.find_for_delivery(project_slug, integration_id, "github_webhook")
        with _guarded(integration):
            service.check_github_signature(
                integration, request.get_data(cache=True), request.headers.get("X-Hub-Signature-256")
            )
        event = request.headers.get("X-GitHub-Event", "")
        delivery = _delivery_id("X-GitHub-Delivery")
        if event == "pull_request":
            pr, note = pull_requests.github_pull_request(_github_payload())
            return _receive_pr(project, integration, event, delivery, pr, note)
        changes, note = events.github_changes(event, _github_payload())
        return _receive(project, integration, event, delivery, changes, note)


@blp.route("/gitlab/<project_slug>/<int:integration_id>/")
class GitLabWebhook(ApiView):
    scopes = {"post": None}
    anonymous = ("post",)
    anonymous_rate_limit = False

    @blp.doc(requestBody={"content": {"application/json": {"schema": {"type": "object"}}}})
    @blp.response(200, WebhookResponseSchema)
    @blp.errors(400, 401, 403, 404)
    def post(self, project_slug: str, integration_id: int) -> Any:
        """Receive a GitLab webhook (push, tag push, merge request), authenticated by X-Gitlab-Token"""
        project, integration = service.find_for_delivery(project_slug, integration_id, "gitlab_webhook")
        with _guarded(integration):
            service.check_token(integration, request.headers.get("X-Gitlab-Token"))
        payload = _object(request.get_json(silent=True))
        event = request.headers.get("X-Gitlab-Event") or str(payload.get("object_kind") or "")
        delivery = _delivery_id("X-Gitlab-Event-UUID", "Idempotency-Key")
        if event == "Merge Request Hook" or payload.get("object_kind") == "merge_request":
            pr, note = pull_requests.gitlab_merge_request(payload)
            return _receive_pr(project, integration, event, delivery, pr, note)
        changes, note = events.gitlab_changes(event, payload)
        return _receive(project, integration, event, delivery, changes, note)


@blp.route("/<project_slug>/<int:integration_id>/")
class GenericWebhook(ApiView):
    scopes = {"post": None}
    anonymous = ("post",)
    anonymous_rate_limit = False
    body_formats = (JSON, FORM)

    @blp.doc(
        requestBody={
            "content": {
                "application/json": {"schema": GenericWebhookSchema},
                _FORM: {"schema": GenericWebhookSchema},
            }
        }
    )
    @blp.response(200, WebhookResponseSchema)
    @blp.errors(400, 401, 403, 404)
    def post(self, project_slug: str, integration_id: int) -> Any:
        """Trigger builds from any CI: the secret as `token`, optional `branches` and `default_branch`"""
        project, integration = service.find_for_delivery(project_slug, integration_id, "generic_api_incoming")
        token, branches, default_branch = _generic_body()
        with _guarded(integration):
            service.check_token(integration, token)
        changes = events.generic_changes(project, branches, default_branch)
        delivery = _delivery_id("X-Delivery-ID", "Idempotency-Key")
        return _receive(project, integration, "generic", delivery, changes, None, default_branch)


def _generic_body() -> tuple[str | None, list[Any], str | None]:
    if request.mimetype == _FORM:
        form = _form()
        first = {key: values[0] for key, values in form.items() if values}
        return first.get("token"), form.get("branches", []), first.get("default_branch") or None
    data = _object(request.get_json(silent=True) or {})
    token, branches, default = data.get("token"), data.get("branches"), data.get("default_branch")
    if token is not None and not isinstance(token, str):
        raise ValidationError("token: Not a valid string.", errors={"token": ["Not a valid string."]})
    if default is not None and not isinstance(default, str):
        raise ValidationError(
            "default_branch: Not a valid string.", errors={"default_branch": ["Not a valid string."]}
        )
    if branches is None:
        branches = []
    elif isinstance(branches, str):
        branches = [branches]
    elif not isinstance(branches, list):
        raise ValidationError(
            "branches: A name or a list of names.", errors={"branches": ["A name or a list of names."]}
        )
    return token, branches, default or None


def _apply(
    project: Any,
    integration: Any,
    changes: list[events.RefChange],
    note: str | None,
    default_branch: str | None = None,
) -> dict[str, Any]:
    outcome = events.apply_changes(project, integration, changes, default_branch)
    if note:
        outcome.notes.insert(0, note)
    return outcome.body(project)
