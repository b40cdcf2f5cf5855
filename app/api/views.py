"""``ApiView``: the base of every API view, its policy declared next to the methods it governs.

A view states, as class attributes, what the request pipeline (:mod:`app.pipeline`) enforces before
the view runs and what the checks below it read (:class:`app.security.route.ViewPolicy`):

``scopes``
    Required, one entry per method: the scope a token needs (``None``: the view checks the
    credential itself, e.g. a webhook's secret). Sessions and tokens without scopes have them all.
``anonymous``
    Methods callers without credentials reach (public reads: the view's lookup answers 404 for
    what they may not see). Every other method needs a person: the pipeline answers 401/403 first,
    and for a write also checks the project in the URL (Read the Docs' order, before the body).
``project_free``
    Methods a project-restricted token may use without a project in the URL.
``body_formats``
    Media types a body may have (JSON unless a protocol says otherwise).
``expand``
    The dotted ``?expand`` paths the view's representation knows; others are ignored.
``body_limit``
    The setting that holds the largest request body the view takes (a manifest, a file of docs built
    elsewhere); others keep ``MAX_CONTENT_LENGTH``.
``rate_limit``
    The setting that holds the view's own per-user budget, counted instead of ``RATE_LIMIT_USER``
    (the files of an upload: thousands of requests, each bounded by the upload's manifest).
``idempotent``, ``cached``, ``anonymous_rate_limit``, ``build_trigger``, ``browsable``
    ``Idempotency-Key`` replays; GETs the read cache may answer; whether anonymous callers count
    against the per-address limit; methods counted against the project's build-trigger limit;
    whether a browser gets the HTML page.

A subclass that forgets ``scopes`` or names a method it lacks fails at import time, and a test
checks that every API rule of the app is served by an ``ApiView``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar

from flask import request
from flask.views import MethodView
from werkzeug.exceptions import UnsupportedMediaType

from app.api import response_cache
from app.policy.scopes import SAFE_METHODS, SCOPES
from app.security import route
from app.security.route import BINARY, FORM, JSON, ViewPolicy

__all__ = ["BINARY", "FORM", "JSON", "ApiView", "ViewPolicy", "check_body_format", "form_body_allowed",
           "policy_of"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: Flask answers OPTIONS itself; nothing of a view runs, so nothing is asked of the caller.
_OPTIONS = ViewPolicy(scope=None, anonymous=True)


class ApiView(MethodView):
    """flask's MethodView (what flask-smorest routes) with a declared policy; see the module docstring."""

    scopes: ClassVar[Mapping[str, str | None]]
    anonymous: ClassVar[Collection[str]] = ()
    project_free: ClassVar[Collection[str]] = ()
    body_formats: ClassVar[Collection[str]] = (JSON,)
    expand: ClassVar[Collection[str]] = ()
    idempotent: ClassVar[bool] = True
    cached: ClassVar[Collection[str]] = ()
    anonymous_rate_limit: ClassVar[bool] = True
    build_trigger: ClassVar[Collection[str]] = ()
    browsable: ClassVar[bool] = True
    body_limit: ClassVar[str | None] = None
    rate_limit: ClassVar[str | None] = None

    #: Built from the declarations when the class is defined: HTTP method → policy.
    policies: ClassVar[dict[str, ViewPolicy]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # MethodView fills ``methods`` from the handlers defined
        cls.policies = _policies(cls)

    @classmethod
    def policy_for(cls, method: str) -> ViewPolicy | None:
        return cls.policies.get(method.upper())

    @classmethod
    def missing_method_policy(cls, method: str) -> ViewPolicy:
        """A method this view lacks (the 405 handler checks the caller before saying so): judged like
        the view's own writes — open when they are open to anonymous callers, else a project write."""
        open_writes = any(m.upper() not in SAFE_METHODS for m in cls.anonymous)
        scope = "projects:read" if method.upper() in SAFE_METHODS else "projects:write"
        return ViewPolicy(scope=scope, anonymous=open_writes)

    def dispatch_request(self, **kwargs: Any) -> Any:
        response = super().dispatch_request(**kwargs)
        policy = route.policy()
        if policy is not None and policy.cached:
            response_cache.store(response)
        return response


def _policies(cls: type[ApiView]) -> dict[str, ViewPolicy]:
    name = f"{cls.__module__}.{cls.__qualname__}"
    methods = {m.lower() for m in (cls.methods or ())}
    if not methods:
        return {}  # a base shared by views (their declarations), not a view itself
    declared = getattr(cls, "scopes", None)
    if not isinstance(declared, Mapping):
        raise TypeError(f"{name} must declare `scopes`: the scope each of its methods needs")
    if set(declared) != methods:
        raise TypeError(f"{name}.scopes must name exactly its methods {sorted(methods)}: {sorted(declared)}")
    for scope in declared.values():
        if scope is not None and scope not in SCOPES:
            raise TypeError(f"{name}.scopes: unknown scope {scope!r}")
    for attribute in ("anonymous", "project_free", "cached", "build_trigger"):
        extra = set(getattr(cls, attribute)) - methods
        if extra:
            raise TypeError(f"{name}.{attribute} names methods it lacks: {sorted(extra)}")
    if set(cls.cached) - {"get"}:
        raise TypeError(f"{name}.cached: only GET answers are cached")
    expand = frozenset(tuple(p.split(".")) for p in cls.expand)
    if any(not all(path) for path in expand):
        raise TypeError(f"{name}.expand: empty segment in {sorted(cls.expand)}")
    policies = {
        method.upper(): ViewPolicy(
            scope=scope,
            anonymous=method in cls.anonymous,
            project_free=method in cls.project_free,
            body_formats=frozenset(cls.body_formats),
            expand=expand,
            idempotent=cls.idempotent,
            cached=method in cls.cached,
            anonymous_rate_limit=cls.anonymous_rate_limit,
            build_trigger=method in cls.build_trigger,
            browsable=cls.browsable,
            body_limit=cls.body_limit,
            rate_limit=cls.rate_limit,
        )
        for method, scope in declared.items()
    }
    if "GET" in policies:
        policies.setdefault("HEAD", policies["GET"])
    policies.setdefault("OPTIONS", _OPTIONS)
    return policies


def view_class(view: Callable[..., Any] | None) -> type[ApiView] | None:
    """The ApiView behind a view function (``as_view`` records its class as ``view_class``)."""
    cls = getattr(view, "view_class", None)
    return cls if isinstance(cls, type) and issubclass(cls, ApiView) else None


def policy_of(view: Callable[..., Any] | None, method: str) -> ViewPolicy | None:
    cls = view_class(view)
    return cls.policy_for(method) if cls is not None else None


def form_body_allowed() -> bool:
    """The view takes ``application/x-www-form-urlencoded`` bodies and this request sends one."""
    policy = route.policy()
    return policy is not None and FORM in policy.body_formats and request.mimetype == FORM


def check_body_format(policy: ViewPolicy) -> None:
    """415 for a body in a format the view does not declare (JSON, or a protocol's form encoding)."""
    if request.method not in _BODY_METHODS or not request.content_length:
        return
    if request.is_json and JSON in policy.body_formats:
        return
    if request.mimetype == BINARY and BINARY in policy.body_formats:
        return
    if form_body_allowed():
        return
    raise UnsupportedMediaType(f'Unsupported media type "{request.mimetype}"; send application/json.')
