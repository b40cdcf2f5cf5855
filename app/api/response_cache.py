"""GET responses answered from memory while the data they show is unchanged: the API's read cache.

Read the Docs' clients poll: CI waits on a build, extensions fetch a project and its versions on
every docs build, dashboards refresh lists. Most of those answers are the bytes of the previous one.
A view declaring its GET ``cached`` (:class:`app.api.views.ApiView`) stores its 200 answer in this
process, keyed on

* the data generation it was computed under (:mod:`app.freshness`: a counter every committed write
  moves in its own transaction, read again on every request, so an answer is never older than the
  last write, whichever process made it),
* who asked (the token's id, or anonymous: permissions, project-restricted tokens and private
  projects all make answers differ per caller; browser sessions are never cached),
* the host and the full path with its query string.

A hit skips the database entirely, authentication included: the token's key hash maps to what the
last full authentication of that token found, under the same generation (so revoking, expiring
or deactivating, all writes, are seen at once; expiry by the clock is checked on every hit). Every
request hook still runs - rate limits count hits like any request - only the view is skipped.

Memory is bounded per process (``RESPONSE_CACHE_MAX_BYTES``, least recently used first out), and
everything is dropped when the generation changes or the database could not tell it. The request pipeline
(:mod:`app.pipeline`) calls :func:`begin` and :func:`authenticated` while authenticating and
:func:`serve` as its last step; the view's dispatch calls :func:`store`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.http import unquote_etag

from app.api.browsable import wants_html
from app.context import current_request, request_globals
from app.crypto import hash_api_key
from app.errors import AuthRequired
from app.freshness import generation
from app.models.base import utcnow
from app.security import route
from app.security.principal import LAST_USED_RESOLUTION, header_key

#: Headers that belong to one exchange, never to the stored answer.
_PER_REQUEST_HEADERS = frozenset({"content-length", "set-cookie", "x-request-id", "date", "vary"})
_ANONYMOUS = "anonymous"
#: What this module keeps on ``g`` for one request (the pipeline clears them per request).
REQUEST_KEYS = ("response_cache", "response_cache_key", "response_cache_credential", "cached_credential",
                "cached_entry")


@dataclass(frozen=True)
class CachedCredential:
    """What a full authentication of one token found (its :class:`~app.security.principal.Principal`,
    reduced to ids), enough to key and rate-limit a hit without the database."""

    token_id: int
    rate_key: str
    expires: datetime | None
    last_used: datetime | None

    @property
    def cache_id(self) -> str:
        return f"token:{self.token_id}"


@dataclass(frozen=True)
class Entry:
    body: bytes
    headers: tuple[tuple[str, str], ...]

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


@dataclass(frozen=True)
class _RequestState:
    """What one cacheable request found before authentication: where to store, under which generation."""

    cache: ResponseCache
    generation: str
    where: str


class ResponseCache:
    """One process's entries, all of one generation; bounded by bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._failures = 0
        self._entries: OrderedDict[tuple[str, str, str], Entry] = OrderedDict()
        self._credentials: dict[str, CachedCredential] = {}
        self._size = 0

    def align(self, current: str, failures: int) -> None:
        """Drop everything computed under another generation, or before the database was last unreadable."""
        if current != self._generation or failures != self._failures:
            with self._lock:
                self._entries.clear()
                self._credentials.clear()
                self._size = 0
                self._generation, self._failures = current, failures

    @property
    def generation(self) -> str | None:
        return self._generation

    def credential(self, key_hash: str) -> CachedCredential | None:
        return self._credentials.get(key_hash)

    def remember(self, key_hash: str, credential: CachedCredential) -> None:
        with self._lock:
            self._credentials[key_hash] = credential

    def get(self, key: tuple[str, str, str]) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple[str, str, str], entry: Entry) -> None:
        if entry.size > self.max_bytes // 8:  # one huge answer must not flush everything else
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old.size
            self._entries[key] = entry
            self._size += entry.size
            while self._size > self.max_bytes and self._entries:
                _key, evicted = self._entries.popitem(last=False)
                self._size -= evicted.size

    def __len__(self) -> int:
        return len(self._entries)


def cache_for(app: Flask) -> ResponseCache | None:
    if not app.config.get("RESPONSE_CACHE_ENABLED", True):
        return None
    found = app.extensions.get("docshelf.response_cache")
    if found is None:
        found = app.extensions["docshelf.response_cache"] = ResponseCache(
            int(app.config.get("RESPONSE_CACHE_MAX_BYTES", 16 * 1024 * 1024))
        )
    return found


def _cacheable_request() -> bool:
    """A GET of a view that declares its answer depends only on the database, caller, host and URL."""
    policy = route.policy()
    if current_request().method != "GET" or policy is None or not policy.cached:
        return False
    return not wants_html()


def _credential() -> str | None:
    """The API key as :mod:`app.auth` reads it; '' for anonymous; None: don't cache (a malformed
    header, whose 401 authentication gives, or a browser session, whose checks are not duplicated)."""
    try:
        key = header_key()
    except AuthRequired:
        return None
    if key is not None:
        return key
    return None if current_app.config["SESSION_COOKIE_NAME"] in request.cookies else ""


def begin() -> bool:
    """Before authentication: True when this request will be answered from the cache.

    Otherwise, leave what :func:`authenticated` and the view need to store the answer.
    """
    app = current_app
    cache = cache_for(app)
    if cache is None or not _cacheable_request():
        return False
    key = _credential()
    if key is None:
        return False
    gen_source = generation(app)
    current = gen_source.current()
    if current is None:
        return False
    cache.align(current, gen_source.failures)
    scope = request_globals()
    state = scope.response_cache = _RequestState(cache, current, _where())
    if key == "":
        scope.response_cache_key = (current, _ANONYMOUS, state.where)
    else:
        key_hash = hash_api_key(key)
        scope.response_cache_credential = key_hash
        credential = cache.credential(key_hash)
        if credential is None or not _still_valid(credential):
            return False
        scope.response_cache_key = (current, credential.cache_id, state.where)
        scope.cached_credential = credential
    entry = cache.get(scope.response_cache_key)
    if entry is None:
        scope.pop("cached_credential", None)
        return False
    scope.cached_entry = entry
    return True


def _where() -> str:
    """Scheme, host and the raw path and query: everything in the URL that an answer can depend on
    (links are absolute). Read from the WSGI environ, which costs nothing, unlike werkzeug's URL rebuild."""
    environ = request.environ
    return (f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST', '')}{environ.get('SCRIPT_NAME', '')}"
            f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}")


def _still_valid(credential: CachedCredential) -> bool:
    now = utcnow()
    if credential.expires is not None and credential.expires <= now:
        return False  # the full path answers 401
    # The full path keeps ``last_used`` current (once per resolution); a hit must not let it go stale.
    return credential.last_used is not None and now - credential.last_used <= LAST_USED_RESOLUTION


def authenticated() -> None:
    """After a full authentication of a cacheable request: remember what the token's principal was."""
    scope = request_globals()
    key_hash = scope.get("response_cache_credential")
    state = scope.get("response_cache")
    if key_hash is None or state is None:
        return
    principal = scope.get("current_principal")
    if principal is None or principal.token is None:
        return
    token = principal.token
    credential = CachedCredential(token_id=token.id, rate_key=principal.rate_key, expires=token.expires,
                                  last_used=token.last_used)
    if state.cache.generation == state.generation:  # not if another request already moved this process on
        state.cache.remember(key_hash, credential)
    scope.response_cache_key = (state.generation, credential.cache_id, state.where)


def store(response: Any) -> None:
    """After the view: keep its answer if this request was set up for caching and nothing moved on."""
    scope = request_globals()
    state, key = scope.get("response_cache"), scope.get("response_cache_key")
    if state is None or key is None or not isinstance(response, Response):
        return
    if response.status_code != 200 or response.is_streamed or "Set-Cookie" in response.headers:
        return
    if state.cache.generation != state.generation:
        return  # the data moved on while this answer was computed: it may already be stale
    headers = tuple((k, v) for k, v in response.headers.items() if k.lower() not in _PER_REQUEST_HEADERS)
    state.cache.put(key, Entry(response.get_data(), headers))


def hit() -> bool:
    """This request will be answered from the cache (:func:`begin` found its entry)."""
    return "cached_entry" in request_globals()


def serve() -> Response | None:
    """The pipeline's last step: answer a hit once every other step (rate limits...) has run."""
    entry = request_globals().pop("cached_entry", None)
    if entry is None:
        return None
    headers = list(entry.headers)
    tag = next((v for k, v in headers if k.lower() == "etag"), None)
    if tag is not None and request.if_none_match.contains_weak(unquote_etag(tag)[0] or ""):
        # The poller has this answer already (If-None-Match, weak comparison as RFC 9110 asks).
        kept = {"etag", "cache-control", "last-modified", "vary"}
        return Response(status=304, headers=[(k, v) for k, v in headers if k.lower() in kept])
    return Response(entry.body, status=200, headers=headers)
