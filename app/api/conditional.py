"""Conditional requests: ETags from validators; a read's body built from the very state it is tagged with.

A view declares what its representation is built from, once, with a decorator:

* ``@conditional(state_of, render=...)`` on each method of a detail view, outermost (``state_of``
  takes the view's URL arguments and returns a :class:`~app.services.validators.State`, or None for
  "let the view answer", e.g. its 404); a GET needs ``render``, writes do not;
* ``@conditional_page(state_of, render=...)`` between ``@paginated`` and a list view that returns its
  statement (``state_of`` takes that statement: the page is picked with the list's own filters and
  ordering).

A GET/HEAD reads the state (narrow Core queries, no ORM objects), answers 304 when ``If-None-Match``
names its tag, and otherwise answers ``render(state, **url_args)``: the body built from the same rows
(:mod:`app.api.rendering`, :mod:`app.schemas.rows`), so the body is a function of the state and the
tag is exact without a second read — a write landing between the state's queries gives a body and a
tag that both show what was read. The answer carries ``ETag`` (and ``Last-Modified`` where the state
knows it exactly) and ``Cache-Control: private, no-cache``. A PATCH/PUT/DELETE with ``If-Match``
locks the resource's row, reads the state the GET would read and answers 412 when the caller's tag
is no longer current: a lost update. The caller's authentication, scope and the reader rule come
first, exactly as without the headers: a project the caller may not read is the view's 404, never a
304. Browsers asked for the browsable HTML page get the view's own answer, untagged (the page shows
more than the JSON: who is signed in, forms).

The tag is strong: a digest of everything the bytes of the answer are a function of — the state,
the URL's query string (``fields``, ``omit``, ``expand``, ``limit``, ``offset``, filters), the caller's
credential (permissions and private visibility differ per principal), the public base URLs (links
are absolute), the JSON provider and the code itself (a digest of the app's source: a release that
changes a representation changes every tag). Equal tags mean byte-identical bodies, as a strong tag
promises, and If-Match compares strongly (RFC 9110, 13.1.1), so only strong tags can serve it.
Preconditions use the tag only: ``If-Modified-Since`` is not evaluated, since several changes
(maintainers, build states) carry no timestamp.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache, wraps
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import orjson
from flask import current_app
from sqlalchemy import Select
from werkzeug.http import http_date
from werkzeug.wrappers import Response

from app import auth, urls
from app.api.browsable import wants_html
from app.context import current_request
from app.extensions import db
from app.problems import problem
from app.services import validators
from app.services.validators import State

__all__ = ["CACHE_CONTROL", "State", "conditional", "conditional_page", "etag"]

CACHE_CONTROL = "private, no-cache"
_STATE_JSON = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_READS = frozenset({"GET", "HEAD"})

View = TypeVar("View", bound=Callable[..., Any])
#: Builds a read's JSON body from its state and the view's URL arguments (see the module docstring).
Render = Callable[..., Any]


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
    req = current_request()
    context = (
        _code_digest(),
        type(provider).__qualname__, getattr(provider, "sort_keys", None), getattr(provider, "compact", None),
        req.query_string,
        principal.credential_id if principal is not None else None,
        urls.current_bases(), req.scheme,
    )
    digest = hashlib.blake2b(repr(context).encode(), digest_size=16)
    # The state as JSON (a page's is ~2,500 values: repr() of it was a tenth of the page's cost); the
    # same values give the same bytes in every process, and anything JSON lacks falls back to repr.
    digest.update(orjson.dumps(state.values, default=repr, option=_STATE_JSON))
    return '"' + digest.hexdigest() + '"'


def _applies() -> bool:
    return not wants_html()


def _check_reader() -> None:
    """What :func:`app.auth.readable_project` checks before it looks: the token's scope for the route."""
    principal = auth.current_principal()
    if principal is not None and principal.person is not None:
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
    req = current_request()
    if req.if_match and not req.if_match.contains(tag.strip('"')):
        return tag, _precondition_failed()
    if req.if_none_match and req.if_none_match.contains_weak(tag.strip('"')):
        if req.method in _READS:
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
    req = current_request()
    return bool(req.if_match or req.if_none_match)


def _rendered(render: Render, state: State, tag: str, kwargs: dict[str, Any]) -> Response:
    with urls.fixed_bases():  # one body: its URLs' bases read once
        body = render(state, **kwargs)
    response: Response = current_app.json.response(body)  # type: ignore[assignment]  # Flask's own
    response.headers.update(_headers(tag, state))
    return response


def conditional(state_of: Callable[..., State | None], render: Render | None = None
                ) -> Callable[[View], View]:
    """A detail view's method: 304 on a current If-None-Match, 412 on a stale If-Match; a read
    answered by ``render(state, **url_args)`` (see module)."""

    def decorator(view: View) -> View:
        if view.__name__ == "get" and render is None:
            raise TypeError(f"{view.__qualname__}: a conditional read needs its render")

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _applies():
                return view(*args, **kwargs)
            reading = current_request().method in _READS
            if reading:
                _check_reader()
            elif not _has_preconditions():
                return view(*args, **kwargs)  # an unconditional write reads nothing more
            state = state_of(**kwargs)
            if state is not None and not reading:
                validators.lock(state)  # then read again: the state this write will apply to
                state = state_of(**kwargs)
            if state is None:
                return view(*args, **kwargs)  # the view's own answer (404), as without the headers
            tag, answer = _evaluate(state)
            if answer is not None:
                return answer
            if reading and render is not None:
                return _rendered(render, state, tag, kwargs)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def conditional_page(state_of: Callable[[Select[Any]], State], *, render: Render) -> Callable[[View], View]:
    """A list view returning its statement: the same for a page of it (see module); ``render`` gets
    the state and the view's URL arguments and returns the page's envelope."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = view(*args, **kwargs)
            if not isinstance(result, Select) or not _applies():
                return result
            state = state_of(result)
            tag, answer = _evaluate(state)
            return answer if answer is not None else _rendered(render, state, tag, kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
