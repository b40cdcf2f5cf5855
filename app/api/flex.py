"""``?fields=``, ``?omit=`` and ``?expand=``: one mechanism for every resource.

* Expandable fields are declared on schemas with :class:`ExpandNested` / :class:`ExpandMethod`;
  they dump nothing (and run no code) unless their dotted path is in ``expand``.
* ``fields``/``omit`` are applied to the outermost :class:`FlexSchema` dump, walking dotted paths
  into nested objects and lists.
* Views ask :func:`expanded` to choose eager loads, so expansion never costs a query per item.
* A view declares the paths it knows (``ApiView.expand``); the rest of ``expand`` is ignored, as Read
  the Docs ignores unknown names, and a view asking about a path it did not declare is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import has_request_context, request
from marshmallow import EXCLUDE, Schema, fields, missing

from app.api.errors import raise_if_vanished
from app.context import current_request, request_globals
from app.errors import ValidationError
from app.security import route
from app.urls import fixed_bases

Path = tuple[str, ...]

_path: ContextVar[Path] = ContextVar("flex_path", default=())
_depth: ContextVar[int] = ContextVar("flex_depth", default=0)
#: The request's spec while its response is serialised (each expandable field of each item asks).
_dumping: ContextVar[FlexSpec | None] = ContextVar("flex_spec", default=None)


@dataclass(frozen=True)
class FlexSpec:
    fields: frozenset[Path] = field(default_factory=frozenset)
    omit: frozenset[Path] = field(default_factory=frozenset)
    expand: frozenset[Path] = field(default_factory=frozenset)

    def is_expanded(self, path: Path) -> bool:
        # ``expand=a.b`` implies ``a``: a nested expansion needs its parent.
        return any(e[: len(path)] == path for e in self.expand)


def _parse(name: str) -> frozenset[Path]:
    paths: set[Path] = set()
    for raw in request.args.getlist(name):
        for item in raw.split(","):
            item = item.strip()
            if not item:
                continue
            path = tuple(p for p in item.split(".") if p)
            if len(set(path)) != len(path):
                raise ValidationError(
                    f"The field path {item!r} repeats a segment.", errors={name: [f"Invalid path {item!r}."]}
                )
            paths.add(path)
    return frozenset(paths)


def _known(path: Path, allowed: frozenset[Path]) -> Path:
    """The longest start of ``path`` the view knows (``a.b.unknown`` still expands ``a.b``)."""
    for end in range(len(path), 0, -1):
        head = path[:end]
        if any(known[:end] == head for known in allowed):
            return head
    return ()


def _allowed(asked: frozenset[Path]) -> frozenset[Path]:
    policy = route.policy()
    if policy is None:
        return asked
    return frozenset(known for path in asked if (known := _known(path, policy.expand)))


#: A request without ``fields``, ``omit`` or ``expand`` (most of them: pollers ask for the plain resource).
_PLAIN = FlexSpec()
_SPEC_ARGS = ("fields", "omit", "expand")


def current_spec() -> FlexSpec:
    dumping = _dumping.get()
    if dumping is not None:
        return dumping
    if not has_request_context():
        return _PLAIN
    state = request_globals()
    spec: FlexSpec | None = state.get("flex_spec")
    if spec is None:
        args = current_request().args
        if not any(name in args for name in _SPEC_ARGS):
            spec = _PLAIN
        else:
            spec = FlexSpec(fields=_parse("fields"), omit=_parse("omit"), expand=_allowed(_parse("expand")))
        state.flex_spec = spec
    return spec


@lru_cache(maxsize=256)
def _declared_paths(dotted: tuple[str, ...], declared: frozenset[Path] | None) -> tuple[Path, ...]:
    """``dotted`` as paths, checked once per view against what it declares (``None``: no API view)."""
    paths = tuple(tuple(d.split(".")) for d in dotted)
    if declared is not None and any(_known(path, declared) != path for path in paths):
        raise LookupError(f"the view does not declare expand={', '.join(dotted)} (ApiView.expand)")
    return paths


def expanded(*dotted: str) -> bool:
    """True when the request expands this dotted path (used by views to pick eager loads)."""
    spec = current_spec()
    policy = route.policy()
    paths = _declared_paths(dotted, policy.expand if policy is not None else None)
    return bool(spec.expand) and any(spec.is_expanded(path) for path in paths)


class FlexNested(fields.Nested):
    """A nested object that is always dumped and extends the dotted path of what it contains,
    so ``?expand=child.active_versions`` reaches the embedded child like ``fields`` does."""

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        token = _path.set(_path.get() + (str(self.name),))
        try:
            return super().serialize(attr, obj, accessor, **kwargs)
        finally:
            _path.reset(token)


class _ExpandableMixin:
    """Mixed into marshmallow fields, which provide ``name`` once bound to a schema."""

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        path = _path.get() + (self.name,)  # type: ignore[attr-defined]
        if not current_spec().is_expanded(path):
            return missing
        token = _path.set(path)
        try:
            return super().serialize(attr, obj, accessor, **kwargs)  # type: ignore[misc]
        finally:
            _path.reset(token)


class ExpandNested(_ExpandableMixin, fields.Nested):
    """A nested object dumped only when expanded."""


class ExpandMethod(_ExpandableMixin, fields.Method):
    """A computed value dumped only when expanded."""


def _select(data: Any, keep: Iterable[Path]) -> Any:
    keep = list(keep)
    if isinstance(data, list):
        return [_select(item, keep) for item in data]
    if not isinstance(data, dict):
        return data
    whole = {p[0] for p in keep if len(p) == 1}
    deeper: dict[str, list[Path]] = {}
    for p in keep:
        if len(p) > 1 and p[0] not in whole:
            deeper.setdefault(p[0], []).append(p[1:])
    out = {k: v for k, v in data.items() if k in whole}
    for key, sub in deeper.items():
        if key in data:
            out[key] = _select(data[key], sub)
    return out


def _drop(data: Any, drop: Iterable[Path]) -> Any:
    drop = list(drop)
    if isinstance(data, list):
        return [_drop(item, drop) for item in data]
    if not isinstance(data, dict):
        return data
    here = {p[0] for p in drop if len(p) == 1}
    out = {k: v for k, v in data.items() if k not in here}
    for key in {p[0] for p in drop if len(p) > 1}:
        if key in out:
            out[key] = _drop(out[key], [p[1:] for p in drop if len(p) > 1 and p[0] == key])
    return out


def apply_fields_and_omit(data: Any, spec: FlexSpec) -> Any:
    if spec.fields:
        data = _select(data, spec.fields)
    if spec.omit:
        data = _drop(data, spec.omit)
    return data


class FlexSchema(Schema):
    """Base of every output schema: unknown input ignored, fields/omit applied at the outermost dump."""

    class Meta:
        unknown = EXCLUDE

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        depth = _depth.get()
        if depth > 0:
            return super().dump(obj, many=many)
        spec = current_spec()
        tokens = (_depth.set(1), _dumping.set(spec))
        shaped = _shaped(type(self), _top(spec.fields), _top(spec.omit, whole=True), self.many)
        try:
            with fixed_bases():  # one response: its URLs' bases and its spec are read once
                result = Schema.dump(shaped or self, obj, many=many)
        except (AttributeError, TypeError):
            # a related row deleted by another request meanwhile is a 404, not a 500
            raise_if_vanished(obj, bool(self.many if many is None else many))
            raise
        finally:
            _dumping.reset(tokens[1])
            _depth.reset(tokens[0])
        return apply_fields_and_omit(result, spec)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """Plain attribute access for model objects (marshmallow's documented hook): its generic
        lookup, which also walks dotted names and mappings, is kept for those."""
        if "." in attr or isinstance(obj, dict):
            return super().get_attribute(obj, attr, default)
        return getattr(obj, attr, default)


def _top(paths: frozenset[Path], whole: bool = False) -> frozenset[str]:
    """The first names of ``paths`` (only whole-field paths when ``whole``: ``omit=a.b`` keeps ``a``)."""
    return frozenset(p[0] for p in paths if p and (len(p) == 1 or not whole))


@lru_cache(maxsize=256)
def _shaped(cls: type[FlexSchema], only: frozenset[str], exclude: frozenset[str], many: bool
            ) -> FlexSchema | None:
    """A schema of ``cls`` that serialises only the top-level fields a ``?fields``/``?omit`` shape keeps,
    built once per shape (marshmallow's ``only``/``exclude``): a poll asking for three fields of a
    build does not compute the rest. None when the shape keeps every field."""
    names = {(f.data_key or name): name for name, f in cls().fields.items()}
    keep = {names[key] for key in only if key in names} if only else None
    drop = {names[key] for key in exclude if key in names}
    if keep is None and not drop:
        return None
    return cls(only=sorted(keep) if keep is not None else None, exclude=sorted(drop), many=many)
