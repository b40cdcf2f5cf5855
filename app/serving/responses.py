"""Responses of the docs server: files with validators and cache headers, redirects, error pages.

Local files go out through Werkzeug's conditional ``send_file`` (ETag, Last-Modified, 304, ranges),
objects from object storage through :func:`send_found` with the same validators. With
``DOCS_ACCEL_REDIRECT`` set, the body is left to nginx instead: the response names the file in
``X-Accel-Redirect`` and nginx serves it from an ``internal`` location (docs/nginx.md), after this
app has decided access, redirects and headers.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

from flask import current_app, redirect, render_template, request, send_file
from werkzeug.wrappers import Response

from app import storage
from app.problems import problem
from app.serving import access
from app.storage import Found, Storage, StorageUnavailable, StoredObject

#: Types that matter for docs; the platform's mimetypes table varies, so these are fixed here.
#: Werkzeug adds ``charset=utf-8`` to the ``text/*`` ones.
CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/vnd.microsoft.icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    ".wasm": "application/wasm",
    ".pdf": "application/pdf",
    ".epub": "application/epub+zip",
    ".zip": "application/zip",
    ".inv": "application/octet-stream",
}
REDIRECT_HEADER = "X-Docshelf-Redirect"


def content_type(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    return CONTENT_TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def cache_control(response: Response, private: bool) -> Response:
    """Public files may be reused for a while; private ones are revalidated (and access re-checked)."""
    if private:
        response.headers["Cache-Control"] = "private, no-cache"
        response.vary.update(("Cookie", "Authorization"))
    else:
        max_age = int(current_app.config.get("DOCS_CACHE_MAX_AGE", 300))
        response.headers["Cache-Control"] = (
            f"public, max-age={max_age}" if max_age > 0 else "public, no-cache"
        )
    return response


def send(path: str, *, private: bool, status: int = 200, download_name: str | None = None) -> Response:
    """Send one file of the storage tree (already checked by :mod:`app.serving.paths`)."""
    mimetype = content_type(download_name or path)
    accel = current_app.config.get("DOCS_ACCEL_REDIRECT")
    if accel and status == 200:
        # The resolved path: nginx can then refuse every symlink (``disable_symlinks on``).
        relative = os.path.relpath(
            os.path.realpath(path), os.path.realpath(current_app.config["STORAGE_DIR"])
        )
        response = Response(status=200, mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = "/" + quote(f"{accel.strip('/')}/{relative}", safe="/")
        if download_name:
            response.headers.set("Content-Disposition", "attachment", filename=download_name)
    else:
        response = send_file(
            path,
            mimetype=mimetype,
            as_attachment=download_name is not None,
            download_name=download_name,
            conditional=status == 200,
            etag=True,
            max_age=None,
        )
        if status != 200:  # error pages are sent unconditionally, with their own status
            response.status_code = status
        if download_name is None:  # Werkzeug names every file ``inline``; pages need no such header
            response.headers.pop("Content-Disposition", None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return cache_control(response, private)


def system_redirect(location: str, *, private: bool = False, code: int = 302) -> Response:
    """Docshelf's own redirects (root → default version, ``dir`` → ``dir/``)."""
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    response = redirect(location, code=code)
    response.headers[REDIRECT_HEADER] = "system"
    return cache_control(response, private)


def send_found(found: Found, *, private: bool, status: int = 200,
               download_name: str | None = None) -> Response:
    """Send a file found in storage: a local path, or an object streamed from object storage."""
    if found.stored is None:
        return send(found.path, private=private, status=status, download_name=download_name)
    return _send_object(found, found.stored, private=private, status=status, download_name=download_name)


def _send_object(found: Found, stored: StoredObject, *, private: bool, status: int,
                 download_name: str | None) -> Response:
    """Stream an object with the validators object storage gave (ETag, Last-Modified), answering
    ``If-None-Match``/``If-Modified-Since`` with 304 and a ``Range`` with one ranged GET; with
    ``DOCS_ACCEL_REDIRECT``, nginx fetches it instead through a presigned URL (docs/deploy.md)."""
    backend = storage.backend()
    mimetype = content_type(download_name or found.path)
    accel = current_app.config.get("DOCS_ACCEL_REDIRECT")
    if accel and status == 200 and hasattr(backend, "presigned_url"):
        url = urlsplit(backend.presigned_url(found))
        response = Response(status=200, mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = f"/{accel.strip('/')}{url.path}?{url.query}"
    else:
        response = Response(_object_body(backend, found, 0, stored.size), status=status, mimetype=mimetype,
                            direct_passthrough=True)
        response.content_length = stored.size
        if status == 200:  # error pages are sent unconditionally, with their own status
            response.set_etag(stored.etag)
            response.last_modified = stored.modified
            response.make_conditional(request.environ, accept_ranges=True, complete_length=stored.size)
            if response.status_code == 206 and response.content_range is not None:
                start, stop = response.content_range.start, response.content_range.stop
                if start is not None and stop is not None:
                    response.response = _object_body(backend, found, start, stop)
    if download_name:
        response.headers.set("Content-Disposition", "attachment", filename=download_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return cache_control(response, private)


def _object_body(backend: Storage, found: Found, start: int, stop: int) -> Iterator[bytes]:
    """Lazy: nothing is fetched for a 304, a HEAD request or a body replaced by a range."""
    if stop > start:
        yield from backend.read_range(found, start, stop)


def unavailable(exc: StorageUnavailable) -> Response:
    """Storage did not answer: a 503 the client may retry, never a 500 or a misleading 404."""
    current_app.logger.warning("storage unavailable: %s", exc)
    return problem(503, "Storage is unavailable; try again shortly.", code="storage_unavailable",
                   headers={"Retry-After": "5"}, retryable=True)


def not_found(custom_page: Found | None = None, *, private: bool = False) -> Response:
    """The project's own 404.html when it built one, else a plain page; JSON for API clients."""
    response: Response
    if access.wants_json():
        response = problem(404, "Not found.")
    elif custom_page is not None:
        response = send_found(custom_page, private=private, status=404)
    else:
        response = Response(render_template("serving/404.html", path=request.path), 404, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


def bad_request(reason: str) -> Response:
    """A path that could address something outside the site: refused before any lookup."""
    if access.wants_json():
        return problem(400, f"Invalid path: {reason}.", code="invalid_path")
    body = render_template("serving/400.html", reason=reason)
    return Response(body, 400, mimetype="text/html", headers={"Cache-Control": "no-store"})
