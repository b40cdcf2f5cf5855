"""A small HTTP client for the v3 API on ``urllib`` (no extra dependency for a handful of calls).

Every non-2xx answer becomes :class:`ApiError` carrying the error contract's ``detail``, which the
command layer prints and turns into a non-zero exit; the client never shows a raw traceback.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

from docshelf_client.config import Profile

USER_AGENT = "docshelf-cli/0.1"
#: A GET answered 429 is asked again after the server's ``Retry-After`` (a poll that respects the limit
#: must not fail on it); writes are never repeated: the user sees the refusal.
RATE_LIMIT_RETRIES = 5
MAX_RETRY_AFTER = 120.0


def _retry_after(exc: urllib.error.HTTPError, also: tuple[int, ...] = ()) -> float | None:
    """Seconds to wait before asking again, for a 429 (or a status in ``also``) whose ``Retry-After``
    is a sane number of seconds."""
    if exc.code != 429 and (exc.code not in also or "Retry-After" not in exc.headers):
        return None
    try:
        seconds = float(exc.headers.get("Retry-After", "1"))
    except ValueError:
        return None
    return min(max(seconds, 0.5), MAX_RETRY_AFTER)


class ApiError(Exception):
    """An API error (``status`` > 0) or a transport failure (``status`` 0)."""

    def __init__(self, status: int, detail: str, body: Any = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.body = body

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


def _error_from(exc: urllib.error.HTTPError) -> ApiError:
    raw = exc.read()
    try:
        body: Any = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("detail"):
        return ApiError(exc.code, str(body["detail"]), body)
    return ApiError(exc.code, f"HTTP {exc.code}: {raw.decode(errors='replace')[:200] or exc.reason}", body)


class Client:
    """Bound to one profile: base URL plus optional bearer token."""

    def __init__(self, profile: Profile, timeout: float = 30) -> None:
        self.profile = profile
        self.timeout = timeout

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """Server paths are joined onto the profile URL; absolute URLs from the API keep only their path,
        since the server's public base may not be how this client reaches it."""
        if path.startswith(("http://", "https://")):
            parts = urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.profile.url}{path}{query}"

    def open(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None,
        *, retry: bool = False,
    ) -> IO[bytes]:
        """The raw response (for downloads and logs); raises :class:`ApiError` on failure.

        ``retry``: a write that is safe to repeat (uploads: content-addressed, publish guarded by the
        session's state) is asked again after a 429's ``Retry-After``, like a GET."""
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.profile.token:
            headers["Authorization"] = f"Bearer {self.profile.token}"
        request = urllib.request.Request(self.url(path, params), data=data, headers=headers, method=method)
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                response: IO[bytes] = urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310
                break
            except urllib.error.HTTPError as exc:
                repeatable = method == "GET" or retry
                wait = _retry_after(exc) if repeatable and attempt < RATE_LIMIT_RETRIES else None
                if wait is None:
                    raise _error_from(exc) from None
                exc.close()
                time.sleep(wait)
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise ApiError(0, f"Cannot reach {self.profile.url}: {reason}") from None
        return response

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None,
                *, retry: bool = False) -> Any:
        """The decoded JSON body (``None`` for 204)."""
        with self.open(method, path, body, params, retry=retry) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def put_file(self, url: str, path: str, size: int, *, authenticated: bool) -> None:
        """PUT a file's bytes, streamed from disk, to ``url``: Docshelf's own upload URL
        (``authenticated``: with the token) or a presigned object-storage URL, which gets no credential
        of Docshelf's. A 429 or 503 is retried after its ``Retry-After`` (the file is content-addressed,
        so sending it twice changes nothing)."""
        target = self.url(url) if authenticated else url
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size),
                   "User-Agent": USER_AGENT}
        if authenticated and self.profile.token:
            headers["Authorization"] = f"Bearer {self.profile.token}"
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            with open(path, "rb") as fh:
                request = urllib.request.Request(target, data=fh, headers=headers, method="PUT")
                try:
                    urllib.request.urlopen(request, timeout=self.timeout).close()  # noqa: S310
                    return
                except urllib.error.HTTPError as exc:
                    wait = _retry_after(exc, also=(503,)) if attempt < RATE_LIMIT_RETRIES else None
                    if wait is None:
                        raise _error_from(exc) from None
                    exc.close()
                except (urllib.error.URLError, OSError) as exc:
                    reason = getattr(exc, "reason", exc)
                    raise ApiError(0, f"Cannot send {path}: {reason}") from None
            time.sleep(wait)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def text(self, path: str) -> str:
        with self.open("GET", path) as response:
            return response.read().decode("utf-8", errors="replace")

    def log_since(self, path: str, offset: int) -> tuple[str, dict[str, str]]:
        """A build log's new part after ``offset`` bytes, and the answer's headers (the next offset,
        the build's state): one request per poll tells a follower everything."""
        with self.open("GET", path, params={"offset": offset}) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}  # type: ignore[attr-defined]
            return response.read().decode("utf-8", errors="replace"), headers

    def paginate(self, path: str, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every result of a list endpoint, walking limit/offset instead of the absolute ``next`` links."""
        offset = 0
        while True:
            page = self.get(path, {"limit": page_size, "offset": offset})
            results = page.get("results") or []
            yield from results
            offset += len(results)
            if not results or offset >= int(page.get("count") or 0):
                return
