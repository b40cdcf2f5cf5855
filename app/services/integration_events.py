"""What an incoming webhook means for a project's versions: payloads → ref changes → versions and builds.

GitHub, GitLab and the generic API each describe "this branch/tag moved, appeared or vanished" in
their own words; :func:`github_changes`, :func:`gitlab_changes` and :func:`generic_changes` turn
their payloads into :class:`RefChange` items, and :func:`apply_changes` applies them with the
version sync's rules (``app.services.sync``), so a webhook and a sync never disagree:

* a moved ref builds every active version that follows it (its own version, ``latest`` when it
  tracks that branch, ``stable`` when it follows that tag or branch);
* an unknown branch/tag becomes a version, inactive unless the integration builds new versions;
* a deleted ref deactivates its version (never ``latest``/``stable``, which Docshelf manages, nor
  the project's default version: the outcome says why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app import storage
from app.errors import ValidationError
from app.extensions import db
from app.models import Integration, Project, Version
from app.models.version import find_version
from app.services import notifications, projects, search
from app.services.builds import trigger_build
from app.services.sync import Ref, follow_ref, stable_candidate

ZERO_SHA = "0" * 40
MAX_REF = 255
_PREFIXES = {"refs/heads/": "branch", "refs/tags/": "tag"}


@dataclass(frozen=True)
class RefChange:
    name: str
    #: "branch" or "tag"; None (generic API) matches a version of either type and never creates one.
    type: str | None
    #: "push" builds (and creates an unknown ref), "create" only creates, "delete" deactivates.
    action: str = "push"
    commit: str | None = None


@dataclass
class Outcome:
    built: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def body(self, project: Project) -> dict[str, Any]:
        """Read the Docs' response keys, then Docshelf's own."""
        return {
            "build_triggered": bool(self.built),
            "project": project.slug,
            "versions": self.built,
            "versions_created": self.created,
            "versions_deactivated": self.deactivated,
            "detail": " ".join(self.notes) or ("Builds triggered." if self.built else "Nothing to build."),
        }


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"The payload has no usable {what}.", errors={what: ["Expected a non-empty string."]}
        )
    if len(value) > MAX_REF or "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        raise ValidationError(
            f"The payload's {what} is not a valid git ref name.", errors={what: ["Invalid."]}
        )
    return value


def _split_ref(ref: Any) -> tuple[str, str] | None:
    """``refs/heads/x`` → ("branch", "x"); None for other refs (notes, pull requests)."""
    ref = _name(ref, "ref")
    for prefix, kind in _PREFIXES.items():
        if ref.startswith(prefix) and len(ref) > len(prefix):
            return kind, ref[len(prefix) :]
    return None


def _sha(value: Any) -> str | None:
    return value if isinstance(value, str) and value and value != ZERO_SHA and len(value) <= 64 else None


def github_changes(event: str, payload: dict[str, Any]) -> tuple[list[RefChange], str | None]:
    """GitHub events ``push``, ``create``, ``delete``; ``ping`` and the rest change nothing."""
    if event == "ping":
        return [], "Webhook configured correctly."
    if event == "push":
        split = _split_ref(payload.get("ref"))
        if split is None:
            return [], "Push to a ref that is neither a branch nor a tag: ignored."
        kind, name = split
        if payload.get("deleted") is True:
            return [RefChange(name, kind, "delete")], None
        head = payload.get("head_commit")
        commit = _sha(head.get("id")) if isinstance(head, dict) else None
        return [RefChange(name, kind, "push", commit or _sha(payload.get("after")))], None
    if event in ("create", "delete"):
        ref_type = payload.get("ref_type")
        if ref_type not in ("branch", "tag"):
            return [], f"'{event}' event for a {ref_type!r}: ignored."
        return [RefChange(_name(payload.get("ref"), "ref"), str(ref_type), event)], None
    return [], f"GitHub event '{event or '(none)'}' ignored: only push, create and delete are used."


def gitlab_changes(event: str, payload: dict[str, Any]) -> tuple[list[RefChange], str | None]:
    """GitLab ``Push Hook`` / ``Tag Push Hook``; an all-zero ``after`` means the ref was deleted."""
    kind = payload.get("object_kind")
    if event not in ("Push Hook", "Tag Push Hook") and kind not in ("push", "tag_push"):
        return [], f"GitLab event '{event or kind or '(none)'}' ignored: only push and tag push are used."
    split = _split_ref(payload.get("ref"))
    if split is None:
        return [], "Push to a ref that is neither a branch nor a tag: ignored."
    ref_type, name = split
    if payload.get("after") == ZERO_SHA:
        return [RefChange(name, ref_type, "delete")], None
    commit = _sha(payload.get("checkout_sha")) or _sha(payload.get("after"))
    return [RefChange(name, ref_type, "push", commit)], None


def generic_changes(
    project: Project, branches: list[Any], default_branch: str | None = None
) -> list[RefChange]:
    """Read the Docs' generic API: the named branches (or tags), else the default branch (``latest``)."""
    names = [_name(b, "branches") for b in branches]
    if not names:
        latest = find_version(project, "latest")
        default = (
            project.default_branch or default_branch or (latest.identifier if latest is not None else "")
        )
        names = [default] if default else []
    return [RefChange(name, None) for name in names]


def apply_changes(
    project: Project, integration: Integration, changes: list[RefChange], default_branch: str | None = None
) -> Outcome:
    """Update the versions under the project's lock, then trigger the builds (each commits itself)."""
    outcome = Outcome()
    to_build: dict[int, Version] = {}
    with projects.locked(project):
        versions = list(db.session.scalars(select(Version).where(Version.project_id == project.id)))
        if default_branch:
            _follow_default_branch(project, versions, _name(default_branch, "default_branch"))
        for change in changes:
            matches = _matching(versions, change)
            if change.action == "delete":
                _deactivate(project, matches, change, outcome)
                continue
            if change.type is not None and not any(not v.machine for v in matches):
                version = _create(project, versions, change, integration.build_new_versions, outcome)
                matches.append(version)
            if change.type == "tag":
                matches.extend(_move_stable(project, versions, change, matches, outcome))
                if change.commit:  # tags are checked out by commit (see sync.Ref.identifier)
                    for version in matches:
                        if version.type == "tag":
                            version.identifier = change.commit
            if change.action == "create":
                continue  # GitHub also sends a push for every new ref: that one builds
            if not matches:
                outcome.notes.append(f"No version follows '{change.name}'.")
            for version in matches:
                if version.active:
                    to_build[version.id] = version
                elif version.slug not in outcome.created:
                    outcome.notes.append(f"Version '{version.slug}' is inactive: not built.")
    for slug in outcome.deactivated:  # as a sync or PATCH active=false does, once committed
        storage.remove_version(project.slug, slug)
    for version in to_build.values():
        trigger_build(project, version)
        outcome.built.append(version.slug)
    return outcome


def _matching(versions: list[Version], change: RefChange) -> list[Version]:
    found = []
    for version in versions:
        if version.machine:
            if version.slug == "latest":
                follows = change.type in (None, "branch") and version.identifier == change.name
            else:  # stable names what it follows in ``ref``
                follows = version.ref == change.name and change.type in (None, version.type)
        else:
            follows = (
                version.type in ("branch", "tag")
                and change.type in (None, version.type)
                and (
                    version.verbose_name == change.name
                    or (change.type is None and version.identifier == change.name)
                )
            )
        if follows:
            found.append(version)
    return found


def _create(
    project: Project, versions: list[Version], change: RefChange, activate: bool, outcome: Outcome
) -> Version:
    """The version a new ref gets, by the sync's own rule (slug, machine take-over, checkout target)."""
    assert change.type is not None
    ref = Ref(change.name, change.type, change.commit or change.name)  # a tag without commit: by name
    version, created = follow_ref(project, {v.slug: v for v in versions}, ref, active=activate)
    if created == "created":
        versions.append(version)
        outcome.created.append(version.slug)
    db.session.flush()  # an id, so the build map below can key on it
    return version


def _move_stable(
    project: Project, versions: list[Version], change: RefChange, matches: list[Version], outcome: Outcome
) -> list[Version]:
    """A new highest release tag moves the machine ``stable`` to it (created if the project had none)."""
    stable = next((v for v in versions if v.slug == "stable"), None)
    if stable is not None and (not stable.machine or stable in matches):
        return []
    current = [Ref(stable.ref, stable.type, stable.identifier)] if stable is not None and stable.ref else []
    new = Ref(change.name, "tag", change.commit or change.name)
    if stable_candidate([*current, new]) != new:
        return []
    if stable is None:
        stable = Version(
            project_id=project.id,
            slug="stable",
            verbose_name="stable",
            active=True,
            machine=True,
            built_formats=[],
        )
        db.session.add(stable)
        versions.append(stable)
        outcome.created.append("stable")
    stable.identifier, stable.type, stable.ref = new.identifier, "tag", new.name
    db.session.flush()
    return [stable]


def _deactivate(project: Project, matches: list[Version], change: RefChange, outcome: Outcome) -> None:
    if not matches:
        outcome.notes.append(f"No version follows the deleted ref '{change.name}'.")
    for version in matches:
        if version.machine:
            outcome.notes.append(
                f"'{version.slug}' follows the deleted ref '{change.name}' and is kept; "
                "it moves at the next version sync."
            )
        elif version.slug == project.default_version:
            outcome.notes.append(f"'{version.slug}' is the project's default version and stays active.")
        elif version.active:
            version.active, version.built, version.built_formats = False, False, []
            search.remove_version_index(version.id)
            outcome.deactivated.append(version.slug)
            notifications.version_deactivated(project, version)


def _follow_default_branch(project: Project, versions: list[Version], branch: str) -> None:
    """Read the Docs' generic ``default_branch``: ``latest`` follows it unless the project names its own."""
    if project.default_branch:
        return
    for version in versions:
        if version.slug == "latest" and version.machine:
            version.identifier, version.type = branch, "branch"
