"""THE seam of the API: the Api/Blueprint classes, the error contract, pagination, flex fields and links.

Every resource package imports from here and nowhere else for these concerns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask_smorest
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response
from marshmallow import Schema, fields
from marshmallow import ValidationError as MarshmallowValidationError
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from app.api.errors import http_error_response, internal_error_response, problem, register_error_handlers
from app.api.flex import ExpandMethod, ExpandNested, FlexNested, FlexSchema, current_spec, expanded
from app.api.links import api_url, docs_site_url, docs_url, public_base, site_url
from app.api.pagination import paginate_query, paginated
from app.api.views import FORM, JSON, ApiView, form_body_allowed
from app.schemas.fields import UTCDateTimeField

__all__ = [
    "Api",
    "ApiView",
    "FORM",
    "JSON",
    "Blueprint",
    "BoolArg",
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
    "site_url",
]


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
        """The error contract for every response of the app; the request hooks are :mod:`app.pipeline`'s."""
        super().init_app(app, *args, **kwargs)
        register_error_handlers(app)
        app.register_error_handler(Exception, _unhandled)


def _unhandled(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return http_error_response(error)
    return internal_error_response(error)


class _ArgumentsParser(FlaskParser):
    """Invalid input is a 400 in the contract (webargs says 422), in responses and in the OpenAPI."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req: Any, schema: Any) -> Any:
        if form_body_allowed():  # the view declares FORM among its body formats
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
