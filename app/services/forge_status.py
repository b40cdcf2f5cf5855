"""Commit statuses for pull-request builds: GitHub's ``statuses`` API and GitLab's commit status API.

A PR build reports ``pending`` when triggered and ``success``/``failure`` when it ends, each with a
link (the preview when it built and previews are served, else the build's page), using the token
configured on the integration whose delivery opened the PR (write-only, encrypted like the secret).
Reporting must never break or slow a build: :func:`report` only queues a job (on the webhooks queue,
like outgoing webhooks), and the job sends the build's state *when it runs*, so a late retry never
turns a finished build's ``success`` back into ``pending``; a build a newer one superseded reports
nothing (the newer one does). A failed attempt (network, 5xx, 429) is retried with
``WEBHOOK_RETRY_DELAYS``, up to ``WEBHOOK_RETRIES`` times.

The forges' base URLs are operator settings (``GITHUB_API_URL``, ``GITLAB_API_URL``: GitHub
Enterprise, self-hosted GitLab); the path parts come from checked payload values (``owner/name``, a
numeric project id, a hex commit), so a payload cannot steer the request anywhere else.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app
from sqlalchemy import select

from app.crypto import decrypt, encrypt
from app.errors import ValidationError
from app.extensions import WEBHOOKS_QUEUE, db
from app.models import Build, Integration, Version
from app.services import queueing
from app.services.webhook_delivery import retry_delays
from app.urls import preview_url, site_url

log = logging.getLogger(__name__)

USER_AGENT = "Docshelf-Statuses/1"
#: A token goes into a header: printable ASCII without spaces, so it cannot add a header of its own.
_TOKEN = re.compile(r"^[\x21-\x7e]{8,255}$")
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_GITLAB_STATES = {"pending": "pending", "success": "success", "failure": "failed"}


def check_token(value: str) -> str | None:
    """The encrypted token to store, None to clear it (an empty string); refuses what cannot be a token."""
    if value == "":
        return None
    if not _TOKEN.match(value):
        message = "8 to 255 printable ASCII characters without spaces."
        raise ValidationError(f"status_token: {message}", errors={"status_token": [message]})
    return encrypt(value)


@dataclass(frozen=True)
class StatusRequest:
    url: str
    headers: dict[str, str]
    body: dict[str, Any]


def report(build: Build) -> None:
    """Queue a status report for a PR build (nothing for others). Never raises."""
    try:
        version = db.session.get(Version, build.version_id) if build.version_id else None
        if version is None or version.type != "external" or version.external_integration_id is None:
            return
        integration = db.session.get(Integration, version.external_integration_id)
        if integration is None or not integration.status_token_encrypted or not version.external_repo:
            return
        schedule(build.id, 1)
    except Exception:
        log.warning("could not queue the commit status of build %s", build.id, exc_info=True)
        db.session.rollback()


def schedule(build_id: int, attempt: int, delay: float = 0) -> None:
    timeout = int(float(current_app.config.get("WEBHOOK_TIMEOUT", 10)) * 3) + 30
    queueing.enqueue(queueing.SEND_STATUS, build_id, attempt, queue=WEBHOOKS_QUEUE,
                     job_id=f"forge-status-{build_id}-{attempt}-{time.time_ns()}", timeout=timeout,
                     delay=delay)


def _state(build: Build) -> str:
    if not build.is_final:
        return "pending"
    return "success" if build.success else "failure"


def status_request(build: Build, version: Version, integration: Integration) -> StatusRequest | None:
    """What to send for the build now; None when it cannot be said (no commit, an unusable token)."""
    sha = build.commit or version.identifier
    if not _SHA.match(sha or "") or not version.external_repo:
        return None
    try:
        token = decrypt(integration.status_token_encrypted or "")
    except ValueError:
        return None
    state = _state(build)
    project = build.project
    preview = preview_url(project.slug, version.slug) if state == "success" else None
    link = preview or site_url("projects", project.slug, "builds", build.id)
    description = {"pending": "The documentation is building.", "success": "The documentation built.",
                   "failure": "The documentation build failed."}[state]
    context = f"docs/docshelf:{project.slug}"
    if integration.integration_type == "gitlab_webhook":
        base = str(current_app.config["GITLAB_API_URL"]).rstrip("/")
        return StatusRequest(
            f"{base}/projects/{quote(version.external_repo, safe='')}/statuses/{sha}",
            {"PRIVATE-TOKEN": token},
            {"state": _GITLAB_STATES[state], "target_url": link, "description": description, "name": context},
        )
    base = str(current_app.config["GITHUB_API_URL"]).rstrip("/")
    return StatusRequest(
        f"{base}/repos/{version.external_repo}/statuses/{sha}",
        {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
         "X-GitHub-Api-Version": "2022-11-28"},
        {"state": state, "target_url": link, "description": description, "context": context},
    )


def _post(request: StatusRequest, timeout: float) -> tuple[int | None, str | None]:
    """(HTTP status, error); redirects are not followed, the answer is not read beyond 2 KiB."""
    parts = urlsplit(request.url)
    https = parts.scheme == "https"
    conn_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
    conn = conn_class(parts.hostname or "", parts.port or (443 if https else 80), timeout=timeout)
    body = json.dumps(request.body).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **request.headers}
    try:
        conn.request("POST", parts.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(2048)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{exc.__class__.__name__}: {exc}"
    finally:
        conn.close()
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def send_status(build_id: int, attempt: int) -> str:
    """One attempt (the RQ job's body): the build's state now, unless a newer build of its version exists."""
    build = db.session.get(Build, build_id)
    version = db.session.get(Version, build.version_id) if build and build.version_id else None
    integration = (db.session.get(Integration, version.external_integration_id)
                   if version and version.external_integration_id else None)
    if build is None or version is None or integration is None:
        return "gone"
    newer = select(Build.id).where(Build.version_id == version.id, Build.id > build.id).limit(1)
    if db.session.scalar(newer) is not None:
        return "superseded"
    request = status_request(build, version, integration)
    if request is None:
        return "unusable"
    status, error = _post(request, float(current_app.config.get("WEBHOOK_TIMEOUT", 10)))
    if error is None:
        return "sent"
    retry = status is None or status >= 500 or status == 429
    if retry and attempt <= int(current_app.config.get("WEBHOOK_RETRIES", 3)):
        delays = retry_delays()
        schedule(build_id, attempt + 1, delays[min(attempt, len(delays)) - 1])
        return "retrying"
    log.warning("commit status of build %s not sent: %s", build_id, error)
    return "failed"
