"""Reads answered from their validator state: the ``render`` of :func:`app.api.conditional.conditional`.

Each takes the state of :mod:`app.services.validators` and the view's URL arguments, builds the body
with :mod:`app.schemas.bodies` and applies the request's ``fields``/``omit`` (``expand`` is part of the
state's shape). A list's body is its page envelope.
"""

from __future__ import annotations

from typing import Any

from app.api.flex import apply_fields_and_omit, current_spec
from app.api.pagination import rendered_page
from app.schemas import bodies
from app.services.validators import State


def _shaped(body: Any) -> Any:
    return apply_fields_and_omit(body, current_spec())


def project(state: State, **_url: Any) -> Any:
    return _shaped(bodies.project_detail(state))


def project_page(state: State, **_url: Any) -> Any:
    return rendered_page(bodies.project_page(state))


def version(state: State, **_url: Any) -> Any:
    return _shaped(bodies.version_detail(state))


def version_page(state: State, **_url: Any) -> Any:
    return rendered_page(bodies.version_page(state))


def build(state: State, project_slug: str, **_url: Any) -> Any:
    return _shaped(bodies.build_detail(state, project_slug))


def build_page(state: State, project_slug: str, **_url: Any) -> Any:
    return rendered_page(bodies.build_page(state, project_slug))
