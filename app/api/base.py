"""THE seam of the API: the Api/Blueprint classes, the error contract, pagination, flex fields and links.

Every resource package imports from here and nowhere else for these concerns.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import flask_smorest
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response, g, has_request_context, request
from marshmallow import Schema, fields
from marshmallow import ValidationError as MarshmallowValidationError
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

from app.api import response_cache
from app.api.errors import http_error_response, internal_error_response, problem, register_error_handlers
from app.api.flex import ExpandMethod, ExpandNested, FlexNested, FlexSchema, current_spec, expanded
from app.api.links import api_url, docs_site_url, docs_url, public_base, site_url
from app.api.pagination import paginate_query, paginated
from app.api.response_cache import cacheable
from app.security.logging import assign_request_id
from app.security.scopes import requires_scope

__all__ = [
    "Api",
    "cacheable",
    "Blueprint",
    "BoolArg",
    "current_user_or_none",
    "ExpandMethod",
    "ExpandNested",
    "FlexNested",
    "FlexSchema",
    "UTCDateTimeField",
    "api_url",
    "current_spec",
    "docs_site_url",
    "docs_url",
    "expanded",
    "paginate_query",
    "paginated",
    "problem",
    "public_base",
    "requires_scope",
    "site_url",
]

_BODY_METHODS = {"POST", "PUT", "PATCH"}


def schema_name_resolver(schema: Any) -> str:
    """OpenAPI component names that stay unique when a schema is reused with ``exclude``/``only``."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if not isinstance(schema, type):
        camel = lambda names: "".join(p.title() for n in sorted(names) for p in n.split("_"))  # noqa: E731
        if schema.only:
            name += "Only" + camel(schema.only)
        if schema.exclude:
            name += "Without" + camel(schema.exclude)
        if schema.partial:
            name += "Partial"
    return name


class ProblemSchema(Schema):
    """The one error contract (RFC 9457 with machine fields); documented as every error response."""

    type = fields.String(metadata={"example": "urn:docshelf:error:not_found"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String(metadata={"description": "Human sentence; what Read the Docs clients print."})
    code = fields.String(metadata={"description": "Stable machine name, e.g. validation_error."})
    category = fields.String(
        metadata={"enum": ["validation", "auth", "not_found", "conflict", "quota", "retryable", "internal"]}
    )
    retryable = fields.Boolean()
    errors = fields.Dict(metadata={"description": "Field errors nested like the input."})
    request_id = fields.String(metadata={"description": "Same value as the X-Request-ID header."})


class Api(flask_smorest.Api):
    """flask-smorest's Api with Docshelf's error contract for every HTTP error, framework ones included."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask | None = None) -> None:
        plugin = MarshmallowPlugin(schema_name_resolver=schema_name_resolver)
        super().__init__(app, spec_kwargs={"marshmallow_plugin": plugin})

    def handle_http_exception(self, error: HTTPException) -> Response:
        return http_error_response(error)

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().init_app(app, *args, **kwargs)
        register_error_handlers(app)
        app.register_error_handler(Exception, _unhandled)
        app.before_request(_before_request)
        app.after_request(_after_request)
        app.teardown_request(_teardown_request)


def _unhandled(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return http_error_response(error)
    return internal_error_response(error)


#: Per-request values cached on ``g``. An app context can outlive one request (tests, CLI),
#: so each request starts by dropping them instead of trusting a fresh ``g``.
_REQUEST_KEYS = (
    "current_principal",
    "current_user",
    "current_token",
    "docs_viewer",
    "flex_spec",
    "public_base",
    "request_id",
    "wants_html",
    "writable_project",
    *response_cache.REQUEST_KEYS,
)


def _before_request() -> None:
    request_globals = g._get_current_object().__dict__  # one proxy lookup, not one per key
    for key in _REQUEST_KEYS:
        request_globals.pop(key, None)
    assign_request_id()
    from app.auth import begin_request

    begin_request()  # the audit log's origin of this request's changes
    if not request.path.startswith("/api/"):
        return
    if response_cache.begin():
        return  # answered by response_cache.serve, the last hook, so rate limits still count it
    # Authenticate up front: a bad token is a 401 on every route, whatever the view needs.
    from app.api.access import SAFE_METHODS, check_access
    from app.auth import load_user

    load_user()
    response_cache.authenticated()
    # Writes are authorised before the body is parsed (reads check in the view, with no extra query).
    # Unmatched URLs fall to the 404/405 handlers, which check too.
    if request.method not in SAFE_METHODS and request.url_rule is not None:
        check_access(request.endpoint, request.view_args)
    if (
        request.method in _BODY_METHODS
        and request.content_length
        and not (request.is_json or _form_body_allowed())
    ):
        raise UnsupportedMediaType(f'Unsupported media type "{request.mimetype}"; send application/json.')


def _teardown_request(error: BaseException | None) -> None:
    from app.auth import end_request

    end_request()


def _after_request(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
    return response


#: Endpoints whose protocol is form-encoded (RFC 8628 device login): they take either encoding.
_FORM_ENDPOINTS: set[str] = set()


def accept_form_bodies(endpoint: str) -> None:
    """Let ``"blueprint.ViewName"`` read an ``application/x-www-form-urlencoded`` body like a JSON one."""
    _FORM_ENDPOINTS.add(endpoint)


def _form_body_allowed() -> bool:
    return request.endpoint in _FORM_ENDPOINTS and request.mimetype == "application/x-www-form-urlencoded"


class _ArgumentsParser(FlaskParser):
    """Invalid input is a 400 in the contract (webargs says 422), in responses and in the OpenAPI."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req: Any, schema: Any) -> Any:
        if _form_body_allowed():
            return self._makeproxy(req.form, schema)
        return super().load_json(req, schema)


#: What the standard error responses mean, documented once (each body is the ProblemSchema).
STANDARD_ERRORS = {
    400: "Invalid input (field errors in `errors`)",
    401: "Authentication required, or invalid credentials",
    403: "Not allowed: not a maintainer, or the token lacks the scope",
    404: "No such object, or not visible to you",
}


class Blueprint(flask_smorest.Blueprint):
    """The resources' Blueprint: flask-smorest's, with the contract's 400 for invalid input."""

    ARGUMENTS_PARSER = _ArgumentsParser()

    def errors(self, *statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Document the standard error responses of an operation in one line."""

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            for status in reversed(statuses):
                view = self.alt_response(status, description=STANDARD_ERRORS[status])(view)
            return view

        return decorator


def current_user_or_none() -> Any:
    """The authenticated user inside a request (schemas use it for ``permissions``), else None."""
    from app.auth import load_user

    return load_user() if has_request_context() else None


class UTCDateTimeField(fields.DateTime):
    """ISO-8601 UTC with a trailing ``Z``, as Read the Docs serialises datetimes."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return datetime.isoformat(value.astimezone(UTC)).replace("+00:00", "Z")


_TRUE = {"true", "True", "1"}
_FALSE = {"false", "False", "0"}


class BoolArg(fields.Field):
    """Query booleans exactly as Read the Docs accepts them: true/True/1 and false/False/0."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise MarshmallowValidationError("Must be one of true, false, 1, 0.")
