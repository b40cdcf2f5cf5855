"""The project's addons settings: the representation and the partial-update body."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.services.addons_settings import FLYOUT_POSITIONS

_SELECTOR = validate.Length(min=1, max=255)


def _script_source(value: str | None) -> None:
    """``https://`` anywhere, or a path on the docs host; never ``javascript:``, ``data:`` or ``http:``."""
    if value is None:
        return
    if value.startswith("/") and not value.startswith("//"):
        if any(c.isspace() or c in "\\<>\"'" for c in value) or len(value) > 1024:
            raise ValidationError("Not a usable path.")
        return
    validate.URL(schemes={"https"}, require_tld=True)(value)
    validate.Length(max=1024)(value)


class _Strict(Schema):
    class Meta:
        unknown = EXCLUDE


class FlyoutSettings(_Strict):
    enabled = fields.Boolean()
    position = fields.String(validate=validate.OneOf(FLYOUT_POSITIONS))


class NotificationsSettings(_Strict):
    enabled = fields.Boolean()
    show_on_latest = fields.Boolean(metadata={"description": "A banner on latest pointing to stable."})
    show_on_non_stable = fields.Boolean(
        metadata={"description": "A banner on other versions pointing to the same page in latest."}
    )


class OptionsSettings(_Strict):
    load_when_embedded = fields.Boolean(metadata={"description": "Run the addons inside an iframe too."})
    root_selector = fields.String(allow_none=True, validate=_SELECTOR,
                                  metadata={"description": "CSS selector of the main content."})


class CustomScriptSettings(_Strict):
    src = fields.String(allow_none=True, validate=_script_source,
                        metadata={"description": "A script every page loads: https:// or a /path."})


class AddonsSettingsSchema(Schema):
    flyout = fields.Nested(FlyoutSettings)
    notifications = fields.Nested(NotificationsSettings)
    options = fields.Nested(OptionsSettings)
    customscript = fields.Nested(CustomScriptSettings)
    _links = fields.Dict(keys=fields.String(), values=fields.String(), data_key="_links", dump_only=True)


class AddonsSettingsUpdateSchema(_Strict):
    flyout = fields.Nested(FlyoutSettings)
    notifications = fields.Nested(NotificationsSettings)
    options = fields.Nested(OptionsSettings)
    customscript = fields.Nested(CustomScriptSettings)
