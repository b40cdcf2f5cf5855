"""/api/v3/device/: OAuth 2.0 Device Authorization Grant (RFC 8628) for command-line tools.

1. ``POST /api/v3/device/code/`` → ``device_code``, ``user_code``, ``verification_uri``, ``interval``;
2. the user opens ``verification_uri`` in a browser, logs in and approves the code;
3. the tool polls ``POST /api/v3/device/token/`` every ``interval`` seconds until it gets the token.

Bodies are JSON like the rest of the API, or form-encoded as RFC 8628 specifies (the fields are the same).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import FORM, JSON, ApiView, Blueprint, public_base
from app.models.base import utcnow
from app.security.scopes import SCOPES
from app.services import device as service

blp = Blueprint("device", __name__, url_prefix="/api/v3/device", description="Device login (RFC 8628)")


class DeviceCodeRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    client_name = fields.String(load_default="", validate=validate.Length(max=100))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=len(SCOPES)),
        metadata={"description": "Default: projects:read and builds:read."},
    )
    projects = fields.List(
        fields.String(validate=validate.Length(min=1, max=63)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=100),
    )


class DeviceCodeSchema(Schema):
    device_code = fields.String()
    user_code = fields.String()
    verification_uri = fields.String()
    verification_uri_complete = fields.String()
    expires_in = fields.Integer()
    interval = fields.Integer()


class DeviceTokenRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    device_code = fields.String(required=True, validate=validate.Length(min=1, max=128))
    grant_type = fields.String(required=True, metadata={"example": service.GRANT_TYPE})


class DeviceTokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(allow_none=True)
    scope = fields.String()


@blp.route("/code/")
class DeviceCode(ApiView):
    # Device login is how a tool without credentials gets some: both POSTs are anonymous by design;
    # RFC 8628 clients send form-encoded bodies, Docshelf's own tools send JSON. Both work.
    scopes = {"post": None}
    anonymous = ("post",)
    body_formats = (JSON, FORM)

    @blp.arguments(DeviceCodeRequestSchema)
    @blp.response(200, DeviceCodeSchema)
    @blp.errors(400)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Start a device login"""
        request, device_code = service.start(data["client_name"], data.get("scopes"), data.get("projects"))
        uri = f"{public_base()}/device"
        return {
            "device_code": device_code,
            "user_code": request.user_code,
            "verification_uri": uri,
            "verification_uri_complete": f"{uri}?{urlencode({'user_code': request.user_code})}",
            "expires_in": int((request.expires - utcnow()).total_seconds()),
            "interval": request.interval,
        }


@blp.route("/token/")
class DeviceToken(ApiView):
    scopes = {"post": None}
    anonymous = ("post",)
    body_formats = (JSON, FORM)
    anonymous_rate_limit = False  # polled every few seconds by design

    @blp.arguments(DeviceTokenRequestSchema)
    @blp.response(200, DeviceTokenSchema)
    @blp.alt_response(
        400,
        description="authorization_pending, slow_down, expired_token, access_denied, invalid_grant "
        "or unsupported_grant_type (in code and error)",
    )
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Poll for the token of a device login"""
        token, key = service.poll(data["device_code"], data["grant_type"])
        expires_in = int((token.expires - utcnow()).total_seconds()) if token.expires else None
        return {
            "access_token": key,
            "token_type": "bearer",
            "expires_in": expires_in,
            "scope": " ".join(token.scopes or []),
        }
