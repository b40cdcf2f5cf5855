"""HTML forms for the browsable API, generated from the OpenAPI document's request schemas.

The document is what flask-smorest writes from the marshmallow schemas, so a form shows the same
fields, choices, limits and help text a client reads in ``/api/v3/openapi.json``, and a schema
change reaches the page without touching a template. Each form is described here as plain data
(:class:`Field`, :class:`Form`); the template renders it and ``static/browsable.js`` turns the
inputs back into the JSON body (nested names like ``repository.url`` become nested objects) and
puts the 400's ``errors`` next to the fields they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request

#: Where the app keeps its flask-smorest Api (app/api/openapi_ui.py).
_API_EXTENSION = "docshelf.api"
#: Werkzeug's ``<int:build_id>`` is OpenAPI's ``{build_id}``.
_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
#: Forms are generated for these methods; others keep the raw JSON form.
FORM_METHODS = ("POST", "PATCH")
_MAX_DEPTH = 2


@dataclass
class Field:
    """One input: ``name`` is the dotted path into the JSON body (``repository.url``)."""

    name: str
    label: str
    kind: str  # text, number, checkbox, select, list
    json_type: str = "string"
    required: bool = False
    help: str = ""
    choices: list[str] = field(default_factory=list)
    default: str = ""
    placeholder: str = ""
    nullable: bool = False
    minlength: int | None = None
    maxlength: int | None = None
    #: An edit form's current value: shown, and compared so that only what changed is sent.
    initial: str | None = None
    id_prefix: str = "f"

    @property
    def dom_id(self) -> str:
        return f"{self.id_prefix}-" + self.name.replace(".", "-")

    @property
    def value(self) -> str:
        return self.default if self.initial is None else self.initial


@dataclass
class Form:
    method: str
    action: str
    title: str
    fields: list[Field]


def _spec() -> dict[str, Any]:
    """The OpenAPI document as a dict, built once per app (the schemas do not change while it runs)."""
    cache = current_app.extensions.setdefault("docshelf.browsable_spec", {})
    if "spec" not in cache:
        cache["spec"] = current_app.extensions[_API_EXTENSION].spec.to_dict()
    spec: dict[str, Any] = cache["spec"]
    return spec


def spec_path() -> str | None:
    """This request's route as the OpenAPI document names it (``/api/v3/projects/{project_slug}/``)."""
    rule = request.url_rule
    return _RULE_ARG.sub(r"{\1}", rule.rule) if rule is not None else None


def forms_for(action: str, allowed: list[str], body: Any = None) -> list[Form]:
    """The generated forms for this page's URL: one per write method whose body the document describes.

    A PATCH form starts from the representation's values (``body``) and sends only what changed.
    """
    path = spec_path()
    if path is None:
        return []
    spec = _spec()
    operations = spec.get("paths", {}).get(path, {})
    forms = []
    for method in FORM_METHODS:
        operation = operations.get(method.lower())
        if method not in allowed or not operation:
            continue
        schema = _request_schema(spec, operation)
        if schema is None:
            continue
        title = str(operation.get("summary") or f"{method} {path}")
        fields_ = list(_fields(spec, schema, "", 0))
        if method == "PATCH":
            for made in fields_:
                made.id_prefix, made.initial = "e", _initial(body, made.name)
        forms.append(Form(method, action, title, fields_))
    return forms


def _initial(body: Any, dotted: str) -> str:
    """The representation's value for an input (``{"code": "en", "name": ...}`` reads as ``en``)."""
    value = body
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict):
        value = value.get("code")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value if not isinstance(item, dict | list))
    return _text(value)


def _request_schema(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    media = content.get("application/json")
    if not media or "schema" not in media:
        return None
    return _resolve(spec, media["schema"])


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        resolved: dict[str, Any] = spec["components"]["schemas"].get(ref.rsplit("/", 1)[1], {})
        return resolved
    return schema


def _fields(spec: dict[str, Any], schema: dict[str, Any], prefix: str, depth: int) -> Any:
    required = set(schema.get("required", ()))
    for name, raw in schema.get("properties", {}).items():
        prop = _resolve(spec, raw)
        if prop.get("readOnly"):
            continue
        dotted = prefix + name
        if prop.get("type") == "object" or ("properties" in prop and "type" not in prop):
            if depth < _MAX_DEPTH:
                yield from _fields(spec, prop, dotted + ".", depth + 1)
            continue
        made = _field(dotted, prop, name in required)
        if made is not None:
            yield made


def _text(default: Any) -> str:
    """A schema default as an input's value (JSON's ``true``, not Python's ``True``)."""
    if default is None:
        return ""
    return str(default).lower() if isinstance(default, bool) else str(default)


def _field(name: str, prop: dict[str, Any], required: bool) -> Field | None:
    kind = {"string": "text", "integer": "number", "number": "number", "boolean": "checkbox"}.get(
        str(prop.get("type")), ""
    )
    if prop.get("type") == "array" and prop.get("items", {}).get("type") == "string":
        kind = "list"
    if not kind:  # anyOf, free-form objects: the raw JSON form still sends them
        return None
    choices = [str(choice) for choice in prop.get("enum", ()) if choice is not None]
    default = prop.get("default")
    if kind == "checkbox" and default is None:
        # A checkbox cannot say "leave it to the server": without a documented default, the choice is
        # explicit (true, false, or — for not sent), so an untouched box never overrides the default.
        kind, choices = "select", ["true", "false"]
    if choices and kind != "checkbox":
        kind = "select"
    help_text = str(prop.get("description") or "")
    if kind == "list":
        help_text = (help_text + " " if help_text else "") + "Comma-separated."
    return Field(
        name=name,
        label=name.replace(".", " › ").replace("_", " "),
        kind=kind,
        json_type=str(prop.get("type")),
        required=required,
        help=help_text,
        choices=choices,
        default=_text(default),
        placeholder=str(prop.get("example") or ""),
        nullable=bool(prop.get("nullable")),
        minlength=prop.get("minLength"),
        maxlength=prop.get("maxLength"),
    )
