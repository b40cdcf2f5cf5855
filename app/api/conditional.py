"""Conditional requests: ETags from validators, checked before anything is serialised.

A view declares what its representation is built from, once, with a decorator:

* ``@conditional(state_of)`` on each method of a detail view, outermost (``state_of`` takes the
  view's URL arguments and returns a :class:`~app.services.validators.State`, or None for "let the
  view answer", e.g. its 404);
* ``@conditional_page(state_of)`` between ``@paginated`` and a list view that returns its statement
  (``state_of`` takes that statement: the page is picked with the list's own filters and ordering).

Then a GET/HEAD answer carries ``ETag`` (and ``Last-Modified`` where the state knows it exactly) and
``Cache-Control: private, no-cache``; ``If-None-Match`` naming the current tag answers 304 at once —
a detail view does not run at all (its validators are Core queries, no ORM objects), a list view
only builds its statement. A PATCH/PUT/DELETE with ``If-Match`` locks the resource's row, reads the
state the GET would read and answers 412 when the caller's tag is no longer current: a lost update.
The caller's authentication, scope and the reader rule come first, exactly as without the headers: a
project the caller may not read is the view's 404, never a 304.

The tag is strong: a digest of everything the bytes of the answer are a function of — the state,
the URL's query string (``fields``, ``omit``, ``expand``, ``limit``, ``offset``, filters), the caller's
credential (permissions and private visibility differ per principal), the public base URLs (links
are absolute), the JSON provider and the code itself (a digest of the app's source: a release that
changes a representation changes every tag). Equal tags mean byte-identical bodies, as a strong tag
promises, and If-Match compares strongly (RFC 9110, 13.1.1), so only strong tags can serve it.

A body is tagged only if the state read again after the view built it is still the one read before:
a write landing meanwhile leaves that answer untagged rather than tagged with a state it may not
show. Preconditions use the tag only: ``If-Modified-Since`` is not evaluated, since several changes
(maintainers, build states) carry no timestamp. Browsers asked the browsable HTML page get neither
(the page shows more than the JSON: who is signed in, forms).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache, wraps
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app, g, request
from sqlalchemy import Select
from werkzeug.http import http_date
from werkzeug.wrappers import Response

from app import auth, urls
from app.api.browsable import wants_html
from app.extensions import db
from app.problems import problem
from app.services import validators
from app.services.validators import State

__all__ = ["CACHE_CONTROL", "State", "conditional", "conditional_page", "etag", "finish", "reset"]

CACHE_CONTROL = "private, no-cache"
_READS = frozenset({"GET", "HEAD"})
#: On ``g`` between a view's start and its answer: the state its answer is tagged with.
_PENDING = "conditional_pending"

View = TypeVar("View", bound=Callable[..., Any])


@cache
def _code_digest() -> str:
    """The source of the app and the versions of the libraries that write the JSON, once per process."""
    digest = hashlib.blake2b(digest_size=16)
    root = Path(__file__).resolve().parent.parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    for package in ("flask", "marshmallow", "orjson"):
        try:
            digest.update(f"{package}={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=-".encode())
    return digest.hexdigest()


def etag(state: State) -> str:
    """The strong ETag (quoted) of the answer this request gets for ``state``."""
    principal = auth.current_principal()
    provider = current_app.json
    context = (
        _code_digest(),
        type(provider).__qualname__, getattr(provider, "sort_keys", None), getattr(provider, "compact", None),
        request.query_string,
        principal.credential_id if principal is not None else None,
        urls.public_base(), urls.docs_base(), urls.docs_prefix(), urls.docs_domain(), request.scheme,
    )
    return '"' + hashlib.blake2b(repr((context, state.values)).encode(), digest_size=16).hexdigest() + '"'


def _applies() -> bool:
    return not wants_html()


def _check_reader() -> None:
    """What :func:`app.auth.readable_project` checks before it looks: the token's scope for the route."""
    if auth.current_user() is not None:
        auth.check_scope()


def _headers(tag: str | None, state: State) -> dict[str, str]:
    headers = {"Cache-Control": CACHE_CONTROL}
    if tag is not None:
        headers["ETag"] = tag
        if state.last_modified is not None:
            headers["Last-Modified"] = http_date(state.last_modified)
    return headers


def _evaluate(state: State) -> tuple[str, Response | None]:
    """RFC 9110's order (13.2.2) for the tag-based preconditions: If-Match, then If-None-Match."""
    tag = etag(state)
    if request.if_match and not request.if_match.contains(tag.strip('"')):
        return tag, _precondition_failed()
    if request.if_none_match and request.if_none_match.contains_weak(tag.strip('"')):
        if request.method in _READS:
            return tag, Response(status=304, headers=_headers(tag, state))
        return tag, _precondition_failed()
    return tag, None


def _precondition_failed() -> Response:
    db.session.rollback()  # a write's row lock goes at once
    return problem(
        412,
        "The resource is not in the state your If-Match / If-None-Match names: read it again and retry.",
        code="precondition_failed",
        category="conflict",
    )


def _has_preconditions() -> bool:
    return bool(request.if_match or request.if_none_match)


def conditional(state_of: Callable[..., State | None]) -> Callable[[View], View]:
    """A detail view's method: 304 on a current If-None-Match, 412 on a stale If-Match (see module)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _applies():
                return view(*args, **kwargs)
            reading = request.method in _READS
            if reading:
                _check_reader()
            elif not _has_preconditions():
                return view(*args, **kwargs)  # an unconditional write reads nothing more

            def read() -> State | None:
                return state_of(**kwargs)

            state = read()
            if state is not None and not reading:
                validators.lock(state)  # then read again: the state this write will apply to
                state = read()
            if state is None:
                return view(*args, **kwargs)  # the view's own answer (404), as without the headers
            tag, answer = _evaluate(state)
            if answer is not None:
                return answer
            if reading:
                setattr(g, _PENDING, (state, tag, read))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def conditional_page(state_of: Callable[[Select[Any]], State]) -> Callable[[View], View]:
    """A list view returning its statement: the same for a page of it (see module)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = view(*args, **kwargs)
            if not isinstance(result, Select) or not _applies():
                return result
            stmt = result

            def read() -> State:
                return state_of(stmt)

            state = read()
            tag, answer = _evaluate(state)
            if answer is not None:
                return answer
            setattr(g, _PENDING, (state, tag, read))
            return result

        return wrapper  # type: ignore[return-value]

    return decorator


def reset() -> None:
    """Before a view runs (:class:`app.api.views.ApiView`): nothing pending from an earlier request."""
    g.pop(_PENDING, None)


def finish(response: Any) -> None:
    """After the view, before the read cache keeps the answer: tag it if its state held still."""
    pending = g.pop(_PENDING, None)
    if pending is None or not isinstance(response, Response):
        return
    state, tag, read = pending
    current = read() if response.status_code == 200 else None
    response.headers.update(_headers(tag if current == state else None, state))
