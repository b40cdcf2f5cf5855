"""Pull/merge requests → ``external`` versions: what a PR event means, and the previews' lifetime.

A PR is the least trusted code there is, so nothing here widens what its build may do: its version is
``external`` (the build gets only the project's ``public`` variables, see ``build_env``), it is never
followed by ``latest``/``stable`` or touched by the version sync, and it exists only while the project
has ``external_builds_enabled``. Read the Docs' rules:

* opened, reopened, a push (GitHub ``synchronize``; GitLab ``update`` with a new commit): the version
  ``<number>`` points at the PR's head commit and builds; a newer build supersedes an older one
  (``builds.supersede_older``);
* closed or merged: the version is deactivated at once (no longer served), its unfinished builds are
  cancelled, and its files go after ``EXTERNAL_RETENTION`` seconds (:func:`purge_closed`, run by the
  worker's housekeeping), so a reopened PR within that time builds again from a known state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app import storage
from app.errors import ValidationError
from app.extensions import db
from app.models import Integration, Project, Version
from app.models.base import utcnow
from app.models.version import find_version
from app.services import projects
from app.services.builds import supersede_older, trigger_build
from app.services.integration_events import Outcome

#: The forge refs a PR's head is fetched from; the worker accepts nothing else (workers.vcs.fetch_ref).
PULL_REF = re.compile(r"^refs/(pull|merge-requests)/[1-9][0-9]{0,9}/head$")
_WEB_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f<>\"']+$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_GITHUB_ACTIONS = {"opened": "open", "reopened": "open", "synchronize": "open", "closed": "close"}
_GITLAB_ACTIONS = {"open": "open", "reopen": "open", "update": "update", "close": "close", "merge": "close"}


@dataclass(frozen=True)
class PullRequest:
    number: int
    #: "open" builds, "update" builds only when the head commit moved, "close" deactivates.
    action: str
    commit: str | None
    #: The PR's web page (https only, else None: it becomes a link in the preview's banner).
    url: str | None
    ref: str
    #: Where statuses go (GitHub ``owner/name`` of the base repository, GitLab's project id); None: nowhere.
    repo: str | None = None


def _number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10**10:
        raise ValidationError("The payload has no usable pull request number.",
                              errors={"number": ["Expected a positive integer."]})
    return value


def _commit(value: Any) -> str | None:
    return value if isinstance(value, str) and _SHA.match(value) else None


def _web_url(value: Any) -> str | None:
    """A link shown to readers: only http(s), no control characters, bounded."""
    if not isinstance(value, str) or len(value) > 1024 or not _WEB_URL.match(value):
        return None
    return value


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def github_pull_request(payload: dict[str, Any]) -> tuple[PullRequest | None, str | None]:
    """GitHub's ``pull_request``: opened, reopened, synchronize and closed; other actions change nothing."""
    action = payload.get("action")
    if action not in _GITHUB_ACTIONS:
        return None, f"Pull request action {str(action)[:40]!r} ignored."
    pr = _dict(payload.get("pull_request"))
    number = _number(payload.get("number", pr.get("number")))
    commit = _commit(_dict(pr.get("head")).get("sha"))
    if commit is None and action != "closed":
        raise ValidationError("The payload has no usable head commit.",
                              errors={"pull_request.head.sha": ["Expected a commit id."]})
    base = _dict(_dict(pr.get("base")).get("repo")).get("full_name") or _dict(payload.get("repository")).get(
        "full_name")
    repo = base if isinstance(base, str) and _GITHUB_REPO.match(base) and ".." not in base else None
    return PullRequest(number, _GITHUB_ACTIONS[str(action)], commit, _web_url(pr.get("html_url")),
                       f"refs/pull/{number}/head", repo), None


def gitlab_merge_request(payload: dict[str, Any]) -> tuple[PullRequest | None, str | None]:
    """GitLab's ``Merge Request Hook``: open, reopen, update (a push or an edit), close and merge."""
    attrs = _dict(payload.get("object_attributes"))
    action = attrs.get("action")
    if action not in _GITLAB_ACTIONS:
        return None, f"Merge request action {str(action)[:40]!r} ignored."
    number = _number(attrs.get("iid"))
    commit = _commit(_dict(attrs.get("last_commit")).get("id"))
    if commit is None and _GITLAB_ACTIONS[str(action)] != "close":
        raise ValidationError("The payload has no usable head commit.",
                              errors={"object_attributes.last_commit.id": ["Expected a commit id."]})
    target = attrs.get("target_project_id", _dict(payload.get("project")).get("id"))
    repo = str(target) if isinstance(target, int) and not isinstance(target, bool) and target > 0 else None
    return PullRequest(number, _GITLAB_ACTIONS[str(action)], commit, _web_url(attrs.get("url")),
                       f"refs/merge-requests/{number}/head", repo), None


def apply_pull_request(project: Project, integration: Integration, pr: PullRequest) -> Outcome:
    """Create, move or close the PR's version under the project's lock, then build it (outside it)."""
    outcome = Outcome()
    if not project.external_builds_enabled:
        outcome.notes.append("Pull request builds are disabled for this project (external_builds_enabled).")
        return outcome
    slug = str(pr.number)
    build: Version | None = None
    cancel: int | None = None
    with projects.locked(project):
        version = find_version(project, slug)
        if version is not None and version.type != "external":
            outcome.notes.append(f"Version '{slug}' is a branch or tag: pull request #{slug} is not built.")
            return outcome
        if pr.action == "close":
            if version is not None and version.active:
                version.active, version.external_closed = False, utcnow()
                outcome.deactivated.append(slug)
                cancel = version.id
            elif version is None:
                outcome.notes.append(f"No version for pull request #{slug}.")
        else:
            if version is None:
                version = Version(project_id=project.id, slug=slug, verbose_name=slug, type="external",
                                  machine=False, built_formats=[], active=False)
                db.session.add(version)
                outcome.created.append(slug)
            elif pr.action == "update" and version.active and version.identifier == pr.commit:
                outcome.notes.append(f"Pull request #{slug} has no new commit: not built.")
                return outcome
            assert pr.commit is not None
            version.identifier, version.ref, version.active = pr.commit, pr.ref, True
            version.external_url = pr.url or version.external_url
            version.external_repo = pr.repo or version.external_repo
            version.external_integration_id, version.external_closed = integration.id, None
            version.privacy_level = project.external_builds_privacy_level
            db.session.flush()
            build = version
    if cancel is not None:
        supersede_older(cancel, None, reason=f"Pull request #{slug} was closed.")
    if build is not None:
        trigger_build(project, build)
        outcome.built.append(slug)
    return outcome


def purge_closed(retention: int) -> list[tuple[str, str]]:
    """Remove the files of PR versions closed over ``retention`` seconds ago; (project, version) pairs."""
    cutoff = utcnow() - timedelta(seconds=retention)
    stmt = (select(Version).join(Project, Project.id == Version.project_id)
            .where(Version.type == "external", Version.active.is_(False), Version.built.is_(True),
                   Version.external_closed.is_not(None), Version.external_closed < cutoff))
    purged: list[tuple[str, str]] = []
    for version in db.session.scalars(stmt).all():
        version.built, version.built_formats = False, []
        purged.append((version.project.slug, version.slug))
    db.session.commit()
    for project_slug, version_slug in purged:  # once the rows say so: a reader never finds half a site
        storage.remove_version(project_slug, version_slug)
    return purged
