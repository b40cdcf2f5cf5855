"""User-defined redirects: the validation rules and the dense ``0..n-1`` position order per project.

Positions are kept dense and unique (``UNIQUE(project_id, position)``) by shifting neighbours with
UPDATE statements. Both PostgreSQL and SQLite check a non-deferred unique constraint row by row, so
``SET position = position + 1`` can collide with a row that has not been moved yet; every shift
therefore parks the affected rows at negative positions first and flips them to their final place in
a second statement. The project row is locked first so concurrent writers queue up and the count
they read stays true until they commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Select, case, func, select, update
from sqlalchemy.orm import joinedload

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Project, Redirect
from app.models.redirect import LEGACY_REDIRECT_TYPES, REDIRECT_TYPES
from app.services import projects
from app.urls import canonical_root, version_path

MAX_REDIRECTS_PER_PROJECT = 100
HTTP_STATUSES = (301, 302)
DEFAULT_HTTP_STATUS = 302
#: Types that match a path and need both URLs; the other two rewrite every page and use neither.
PATH_TYPES = ("page", "exact")
HTML_TYPES = ("clean_url_to_html", "html_to_clean_url")
#: The columns' lengths; PostgreSQL would reject longer values with a 500 otherwise.
MAX_FROM_URL = 255
MAX_DESCRIPTION = 255
#: Every writable field except ``position``, which is moved by SQL, never assigned on the row.
VALUE_FIELDS = ("type", "from_url", "to_url", "force", "enabled", "description", "http_status")
DEFAULTS: dict[str, Any] = {
    "from_url": "",
    "to_url": "",
    "force": False,
    "enabled": True,
    "description": "",
    "http_status": DEFAULT_HTTP_STATUS,
}

_ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)
_NO_SYNC = {"synchronize_session": False}


def redirects_query(project: Project) -> Select[Redirect]:
    """A project's redirects in the order they are tried (the list view paginates it)."""
    return (
        select(Redirect)
        .where(Redirect.project_id == project.id)
        .options(joinedload(Redirect.project, innerjoin=True))
        .order_by(Redirect.position)
    )


def get_redirect(project: Project, redirect_id: int) -> Redirect:
    redirect = db.session.scalars(redirects_query(project).where(Redirect.id == redirect_id)).first()
    if redirect is None:
        raise NotFound("No Redirect matches the given query.")
    return redirect


def normalize_from_url(path: str) -> str:
    """One leading slash, no trailing one, so ``/docs`` and ``/docs/`` match alike; ``/`` stays ``/``."""
    return "/" + path.strip().strip("/")


def normalize_to_url(url: str) -> str:
    """Absolute http(s) URLs are kept; anything else becomes a path on the same host.

    Forcing one leading slash also turns a protocol-relative ``//evil.example`` into a local path,
    so only an explicit absolute URL can send readers to another host.
    """
    url = url.strip()
    return url if _ABSOLUTE.match(url) else "/" + url.lstrip("/")


def clean_redirect(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise a redirect's fields (all of them, merged with the current ones).

    Collects every field's problems so a client fixes them in one round trip; raises
    :class:`ValidationError` with ``errors`` keyed by field, as the input was.
    """
    errors: dict[str, list[str]] = {}
    values = {name: data.get(name, DEFAULTS.get(name)) for name in VALUE_FIELDS}
    for name in ("from_url", "to_url", "description"):
        values[name] = values[name] or ""
    values["http_status"] = DEFAULT_HTTP_STATUS if values["http_status"] is None else values["http_status"]
    kind = values["type"]
    if not kind:
        errors["type"] = ["Missing data for required field."]
    elif kind in LEGACY_REDIRECT_TYPES:
        errors["type"] = [_legacy_message(kind)]
    elif kind not in REDIRECT_TYPES:
        errors["type"] = [f'"{kind}" is not a valid redirect type; use one of: {", ".join(REDIRECT_TYPES)}.']
    elif kind in PATH_TYPES:
        _check_urls(values, errors)
    else:  # the html/clean-URL types rewrite every page: stored URLs would only mislead
        values["from_url"] = values["to_url"] = ""
    if values["http_status"] not in HTTP_STATUSES:
        errors["http_status"] = [f'"{values["http_status"]}" is not a valid HTTP status; use 301 or 302.']
    if len(values["description"]) > MAX_DESCRIPTION:
        errors["description"] = [f"Ensure this field has no more than {MAX_DESCRIPTION} characters."]
    if errors:
        raise ValidationError(_first(errors), errors=errors)
    return values


def _legacy_message(kind: str) -> str:
    new = LEGACY_REDIRECT_TYPES[kind]
    if kind == "prefix":
        return f'The "prefix" redirect type was removed; use an "{new}" redirect from "/prefix/*" instead.'
    return f'The "{kind}" redirect type was renamed; use "{new}" instead.'


def _check_urls(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """The rules of page/exact redirects; checked on the URLs as given, then normalised."""
    from_url, to_url = values["from_url"].strip(), values["to_url"].strip()
    kind = values["type"]
    if not from_url:
        errors.setdefault("from_url", []).append(f"This field is required for {kind} redirects.")
    elif "*" in from_url[:-1]:
        errors.setdefault("from_url", []).append("The * wildcard is only allowed at the end of from_url.")
    if not to_url:
        errors.setdefault("to_url", []).append(f"This field is required for {kind} redirects.")
    elif ":splat" in to_url and not from_url.endswith("*"):
        errors.setdefault("to_url", []).append(
            "The :splat placeholder needs a from_url ending with the * wildcard."
        )
    if from_url:
        values["from_url"] = normalize_from_url(from_url)
        if len(values["from_url"]) > MAX_FROM_URL:
            errors.setdefault("from_url", []).append(
                f"Ensure this field has no more than {MAX_FROM_URL} characters."
            )
    if to_url:
        values["to_url"] = normalize_to_url(to_url)


def check_reachable(project: Project, kind: str, from_url: str) -> None:
    """Refuse a ``from_url`` that repeats what the docs server has already taken off the path.

    An ``exact`` rule is matched against the path below the project's root and a ``page`` rule against
    the path inside the version, so ``/docs/<project>/en/latest/old`` (either type) or
    ``/en/latest/old`` (a page) can never match: such a redirect would be stored and silently do
    nothing, which is worse than a 400 that says what to write instead.
    """
    if kind not in PATH_TYPES or not from_url:
        return
    path = from_url.rstrip("*")
    root = urlsplit(canonical_root(project)[0]).path.rstrip("/")  # "" when served at a host's root
    if root and (path == root or path.startswith(root + "/")):
        rest = normalize_from_url(from_url[len(root):])
        _unreachable(f"{kind} redirects match the path below the project's root ({root}/), "
                     f"so {from_url} never matches; write {rest} instead.")
    if kind != "page":
        return
    owner = project.main_language_project or project
    for version in project.versions:
        prefix = version_path(owner, project, version.slug)
        if prefix != "/" and (path + "/").startswith(prefix):
            rest = normalize_from_url(from_url[len(prefix) - 1:])
            _unreachable(f"page redirects match the path inside a version, so {from_url} never matches; "
                         f"write {rest} (for every version), or use an exact redirect for this version only.")


def _unreachable(message: str) -> None:
    raise ValidationError(message, errors={"from_url": [message]})


def _first(errors: Mapping[str, list[str]]) -> str:
    name, messages = next(iter(errors.items()))
    return f"{name}: {messages[0]}"


def _count(project_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Redirect.project_id == project_id)) or 0


def _check_single_html_type(project_id: int, kind: str, exclude_id: int | None = None) -> None:
    if kind not in HTML_TYPES:
        return
    stmt = select(Redirect.id).where(Redirect.project_id == project_id, Redirect.type == kind)
    if exclude_id is not None:
        stmt = stmt.where(Redirect.id != exclude_id)
    if db.session.scalar(stmt.limit(1)) is not None:
        message = f'Only one redirect of type "{kind}" is allowed per project.'
        raise ValidationError(message, errors={"type": [message]})


def _reposition(project_id: int, rows: ColumnElement[bool], target: ColumnElement[int]) -> None:
    """Move ``rows`` to ``target`` without any intermediate state violating the unique constraint.

    First each row goes to ``-target - 1`` (negative, distinct, so it collides with nothing), then
    every negative row flips back; the final positions are a permutation, so that cannot collide either.
    """
    db.session.execute(
        update(Redirect).where(Redirect.project_id == project_id, rows).values(position=-(target + 1)),
        execution_options=_NO_SYNC,
    )
    db.session.execute(
        update(Redirect)
        .where(Redirect.project_id == project_id, Redirect.position < 0)
        .values(position=-Redirect.position - 1),
        execution_options=_NO_SYNC,
    )


def create_redirect(project: Project, data: Mapping[str, Any]) -> Redirect:
    """Insert a redirect at ``position`` (default 0, the top; clamped to ``0..n``), shifting the rest down."""
    values = clean_redirect(data)
    check_reachable(project, values["type"], values["from_url"])
    with projects.locked(project):
        count = _count(project.id)
        if count >= MAX_REDIRECTS_PER_PROJECT:
            message = (
                f"This project has reached the limit of {MAX_REDIRECTS_PER_PROJECT} redirects. "
                "Consider replacing some of them with a wildcard redirect."
            )
            raise ValidationError(message, errors={"non_field_errors": [message]})
        _check_single_html_type(project.id, values["type"])
        position = min(max(data.get("position") or 0, 0), count)
        _reposition(project.id, Redirect.position >= position, Redirect.position + 1)
        redirect = Redirect(project=project, position=position, **values)
        db.session.add(redirect)
    return redirect


def update_redirect(redirect: Redirect, data: Mapping[str, Any]) -> Redirect:
    """Apply ``data`` over the current fields (PUT and PATCH alike) and move it if ``position`` is given."""
    current = {name: getattr(redirect, name) for name in VALUE_FIELDS}
    values = clean_redirect({**current, **{k: v for k, v in data.items() if k in VALUE_FIELDS}})
    project = redirect.project
    if "from_url" in data or "type" in data:  # a stored rule can still be disabled or moved
        check_reachable(project, values["type"], values["from_url"])
    with projects.locked(project):
        _check_single_html_type(project.id, values["type"], exclude_id=redirect.id)
        for name, value in values.items():
            setattr(redirect, name, value)
        if data.get("position") is not None:
            _move(redirect, data["position"])
    return redirect


def _move(redirect: Redirect, requested: int) -> None:
    """Move to ``requested`` (clamped to ``0..n-1``), shifting the items in between by one."""
    # Re-read under the lock: the loaded row may predate another request's move.
    old = db.session.scalar(select(Redirect.position).where(Redirect.id == redirect.id))
    if old is None:
        raise NotFound("No Redirect matches the given query.")
    new = min(max(requested, 0), _count(redirect.project_id) - 1)
    if new == old:
        return
    if new < old:
        rows, shifted = Redirect.position.between(new, old), Redirect.position + 1
    else:
        rows, shifted = Redirect.position.between(old, new), Redirect.position - 1
    _reposition(redirect.project_id, rows, case((Redirect.id == redirect.id, new), else_=shifted))


def delete_redirect(redirect: Redirect) -> None:
    """Delete a redirect and close the gap it leaves, so positions stay ``0..n-1``."""
    project_id = redirect.project_id
    with projects.locked(redirect.project):
        old = db.session.scalar(select(Redirect.position).where(Redirect.id == redirect.id))
        if old is None:  # deleted by a concurrent request: the outcome the caller wanted
            return
        db.session.delete(redirect)
        db.session.flush()
        _reposition(project_id, Redirect.position > old, Redirect.position - 1)
