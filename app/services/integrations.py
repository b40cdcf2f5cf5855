"""Incoming webhooks ("integrations"): secrets, sender authentication, and deliveries with replay protection.

The shared secret is generated here (or given once by the maintainer), stored encrypted with
:mod:`app.crypto` because checking an HMAC needs the clear value, and only ever handed back by
:func:`create_integration` and :func:`regenerate_secret`.

A delivery is recorded *before* it acts, under a unique (integration, delivery id) key: a second
copy of the same delivery (a redelivery, or the same request sent twice at once) finds the first
one's row and answers with its outcome instead of building again. A delivery that fails (the
build queue is down) gives its key up, so the sender's retry is processed for real.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.crypto import decrypt, encrypt, hub_signature, new_shared_secret, shared_secret_error
from app.errors import (
    AuthRequired,
    DocshelfError,
    NotFound,
    PermissionDenied,
    RetryableConflict,
    ValidationError,
)
from app.extensions import db
from app.models import Integration, IntegrationDelivery, Project
from app.models.integration import INTEGRATION_TYPES
from app.services import forge_status

log = logging.getLogger(__name__)

#: How the sender proves it knows the secret, per type (for error messages).
PROOF = {
    "github_webhook": "X-Hub-Signature-256 header",
    "gitlab_webhook": "X-Gitlab-Token header",
    "generic_api_incoming": "token",
}


def integrations_query(project: Project) -> Select[Integration]:
    return (
        select(Integration)
        .where(Integration.project_id == project.id)
        .options(joinedload(Integration.project, innerjoin=True))
        .order_by(Integration.id)
    )


def get_integration(project: Project, integration_id: int) -> Integration:
    integration = db.session.scalars(
        integrations_query(project).where(Integration.id == integration_id)
    ).first()
    if integration is None:
        raise NotFound("No Integration matches the given query.")
    return integration


def _check_secret(secret: str) -> None:
    error = shared_secret_error(secret)
    if error:
        raise ValidationError(f"secret: {error}", errors={"secret": [error]})


def _status_token(integration_type: str, value: str) -> str | None:
    """The encrypted forge token; only GitHub and GitLab integrations report commit statuses."""
    if value and integration_type == "generic_api_incoming":
        message = "Only GitHub and GitLab integrations report commit statuses."
        raise ValidationError(f"status_token: {message}", errors={"status_token": [message]})
    return forge_status.check_token(value)


def create_integration(
    project: Project, *, integration_type: str, secret: str | None = None, build_new_versions: bool = False,
    status_token: str | None = None,
) -> tuple[Integration, str]:
    """The new integration and its clear secret, which the caller shows once and forgets."""
    if integration_type not in INTEGRATION_TYPES:
        message = f"Choose one of: {', '.join(INTEGRATION_TYPES)}."
        raise ValidationError(f"integration_type: {message}", errors={"integration_type": [message]})
    if secret is not None:
        _check_secret(secret)
    clear = secret if secret is not None else new_shared_secret()
    integration = Integration(
        project=project,
        integration_type=integration_type,
        secret_encrypted=encrypt(clear),
        build_new_versions=build_new_versions,
        status_token_encrypted=_status_token(integration_type, status_token) if status_token else None,
    )
    db.session.add(integration)
    db.session.commit()
    return integration, clear


def update_integration(integration: Integration, data: dict[str, Any]) -> Integration:
    """``build_new_versions``, (write-only) ``secret`` and ``status_token``; the type is fixed, as its URL
    depends on it."""
    if "secret" in data:
        _check_secret(data["secret"])
        integration.secret_encrypted = encrypt(data["secret"])
    if "build_new_versions" in data:
        integration.build_new_versions = data["build_new_versions"]
    if "status_token" in data:
        integration.status_token_encrypted = _status_token(integration.integration_type, data["status_token"])
    db.session.commit()
    return integration


def regenerate_secret(integration: Integration) -> str:
    clear = new_shared_secret()
    integration.secret_encrypted = encrypt(clear)
    db.session.commit()
    return clear


def delete_integration(integration: Integration) -> None:
    db.session.delete(integration)
    db.session.commit()


# --- receiving ---------------------------------------------------------------------------------------


def find_for_delivery(slug: str, integration_id: int, integration_type: str) -> tuple[Project, Integration]:
    """Anonymous by design (the secret authenticates): private projects receive webhooks too."""
    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if project is None:
        raise NotFound("No Project matches the given query.")
    integration = db.session.scalar(
        select(Integration).where(Integration.project_id == project.id, Integration.id == integration_id)
    )
    if integration is None:
        raise NotFound("No Integration matches the given query.")
    if integration.integration_type != integration_type:
        raise ValidationError(
            f"Integration {integration.id} is a {integration.integration_type}, not a {integration_type}: "
            "use the URL shown in its `url` field.",
            code="wrong_integration_type",
        )
    return project, integration


def _secret(integration: Integration) -> str:
    return decrypt(integration.secret_encrypted)


def _usable_secret(integration: Integration) -> str:
    """The clear secret; one set before secrets had a minimum length is refused until it is replaced,
    since a short secret can be guessed even at the rate the failure limit allows."""
    secret = _secret(integration)
    if shared_secret_error(secret):
        raise PermissionDenied(
            "This integration's secret is too short to be safe; a maintainer must regenerate it "
            "(POST .../regenerate_secret/) or set one of at least 32 characters.",
            code="weak_secret",
        )
    return secret


def check_github_signature(integration: Integration, body: bytes, header: str | None) -> None:
    """``X-Hub-Signature-256: sha256=<hex HMAC of the raw body>``, compared in constant time."""
    if not header:
        raise AuthRequired("Missing X-Hub-Signature-256 header: set the webhook's secret in GitHub.")
    expected = hub_signature(_usable_secret(integration), body)
    if not hmac.compare_digest(expected.encode(), header.strip().encode("utf-8", "replace")):
        raise PermissionDenied("Invalid X-Hub-Signature-256: the payload was not signed with this secret.")


def check_token(integration: Integration, token: str | None) -> None:
    """GitLab's ``X-Gitlab-Token`` or the generic API's ``token``: equal to the secret, in constant time."""
    if not token:
        raise AuthRequired(
            f"Missing {PROOF[integration.integration_type]}: it must be the integration's secret."
        )
    if not hmac.compare_digest(_usable_secret(integration).encode(), token.encode("utf-8", "replace")):
        raise PermissionDenied(f"Invalid {PROOF[integration.integration_type]}.")


def _recorded(integration: Integration, key: str) -> IntegrationDelivery | None:
    return db.session.scalar(
        select(IntegrationDelivery).where(
            IntegrationDelivery.integration_id == integration.id, IntegrationDelivery.dedup_key == key
        )
    )


def _replay(delivery: IntegrationDelivery) -> tuple[dict[str, Any], bool]:
    if delivery.status_code is None:
        raise _in_progress("This delivery is still being processed; retry shortly.")
    return delivery.outcome, True


def _in_progress(detail: str) -> RetryableConflict:
    return RetryableConflict(detail, code="delivery_in_progress", headers={"Retry-After": "1"})


def receive(
    integration: Integration, *, event: str, delivery_id: str | None, act: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], bool]:
    """Run ``act`` once per delivery id; returns (response body, replayed)."""
    key = delivery_id or None
    if key is not None:
        previous = _recorded(integration, key)
        if previous is not None:
            return _replay(previous)
    delivery = IntegrationDelivery(
        integration_id=integration.id, delivery_id=key, dedup_key=key, event=event[:64], outcome={}
    )
    db.session.add(delivery)
    try:
        db.session.commit()
    except IntegrityError:  # the same delivery, sent twice at once: the other copy acts
        db.session.rollback()
        previous = _recorded(integration, key or "")
        if previous is None:  # it failed and gave its key up meanwhile: the sender retries
            raise _in_progress("This delivery is being retried; retry shortly.") from None
        return _replay(previous)
    pk = delivery.id
    try:
        body = act()
    except DocshelfError as exc:
        _give_up(pk, exc.status, exc.detail)
        raise
    except Exception:
        _give_up(pk, 500, "Internal server error.")
        raise
    body["delivery"] = pk
    delivery = db.session.get(IntegrationDelivery, pk) or delivery
    delivery.status_code, delivery.outcome = 200, body
    db.session.commit()
    return body, False


def _give_up(pk: int, status: int, detail: str) -> None:
    """Keep the failed delivery in the list, without its key: a retry must act, not replay a failure."""
    try:
        db.session.rollback()
        delivery = db.session.get(IntegrationDelivery, pk)
        if delivery is not None:
            delivery.status_code, delivery.dedup_key = status, None
            delivery.outcome = {"build_triggered": False, "detail": detail}
            db.session.commit()
    except Exception:  # noqa: BLE001  (the database itself is failing: the original error matters more)
        db.session.rollback()
        log.warning("could not record the failed delivery %s", pk, exc_info=True)


def deliveries_query(integration: Integration) -> Select[IntegrationDelivery]:
    return (
        select(IntegrationDelivery)
        .where(IntegrationDelivery.integration_id == integration.id)
        .options(joinedload(IntegrationDelivery.integration, innerjoin=True).joinedload(Integration.project))
        .order_by(IntegrationDelivery.id.desc())
    )


def get_delivery(integration: Integration, delivery_pk: int) -> IntegrationDelivery:
    delivery = db.session.scalars(
        deliveries_query(integration).where(IntegrationDelivery.id == delivery_pk)
    ).first()
    if delivery is None:
        raise NotFound("No Delivery matches the given query.")
    return delivery
