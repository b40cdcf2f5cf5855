"""What the request pipeline decided about the current request, for the checks below the API tier.

The pipeline (:mod:`app.pipeline`) decides once per request which origin it belongs to (the API, the
browser pages, the built docs) and, for an API view, the policy that view declared for the request's
method (:class:`ViewPolicy`, built by :class:`app.api.views.ApiView`). Authentication, scopes, rate
limits and idempotency read those two decisions from here instead of matching paths, blueprint
names or endpoint strings, and without importing the API tier.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.context import request_globals

API = "api"
WEB = "web"
DOCS = "docs"

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
#: Raw bytes (a file of docs built elsewhere, streamed and checked by its view).
BINARY = "application/octet-stream"

#: The ``g`` keys this module owns (the pipeline drops them at the start of every request).
REQUEST_KEYS = ("route_origin", "route_policy")


@dataclass(frozen=True)
class ViewPolicy:
    """What an API view declares for one HTTP method.

    ``scope``: what a token needs (None: the view checks the credential itself); ``anonymous``:
    callers without credentials get through to the view, which decides (public reads, device login,
    webhooks proving a secret); ``project_free``: a token restricted to some projects may use it
    without a project in the URL (its service applies the restriction); ``body_formats``: accepted
    request media types; ``expand``: the dotted ``?expand`` paths the view knows (anything else is
    ignored, as on Read the Docs); ``idempotent``: an ``Idempotency-Key`` replays the first answer;
    ``cached``: a 200 may be answered from the read cache; ``anonymous_rate_limit``: anonymous callers
    count against the per-address limit; ``build_trigger``: counted against the project's
    build-trigger limit when a build is queued; ``browsable``: a browser may get the HTML page;
    ``body_limit``: the setting holding the largest body the view accepts (None: ``MAX_CONTENT_LENGTH``);
    ``rate_limit``: the setting holding the view's own per-user budget, counted instead of the user's.
    """

    scope: str | None
    anonymous: bool = False
    project_free: bool = False
    body_formats: frozenset[str] = frozenset({JSON})
    expand: frozenset[tuple[str, ...]] = frozenset()
    idempotent: bool = True
    cached: bool = False
    anonymous_rate_limit: bool = True
    build_trigger: bool = False
    browsable: bool = True
    body_limit: str | None = None
    rate_limit: str | None = None


def bind(origin: str, policy: ViewPolicy | None) -> None:
    """Called by the pipeline only, once the request's origin and view are known."""
    state = request_globals()
    state.route_origin = origin
    state.route_policy = policy


def bind_policy(policy: ViewPolicy | None) -> None:
    """Judge the rest of the request by ``policy`` (the 405 handler: the method has no view)."""
    request_globals().route_policy = policy


def origin() -> str | None:
    return request_globals().get("route_origin")


def is_api() -> bool:
    return bool(request_globals().get("route_origin") == API)


def policy() -> ViewPolicy | None:
    """The current API view's policy for this method; None outside the API or when no view matched."""
    return request_globals().get("route_policy")
