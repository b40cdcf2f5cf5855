"""A project's addons settings: what Read the Docs lets a maintainer configure per project for its
addons, stored on the project and answered by ``/_/addons/`` (:mod:`app.serving.addons_features`).

Only what the docs pages really honour is a setting here:

* ``notifications``: ``enabled`` (any banner at all), ``show_on_non_stable`` (the banner on a version
  other than ``latest`` that points to the same page there, Docshelf's old-version banner) and
  ``show_on_latest`` (a banner on ``latest`` pointing to ``stable``, when the project has one);
* ``options``: ``load_when_embedded`` (whether the addons run in a page shown inside an iframe) and
  ``root_selector`` (the CSS selector of the main content, for themes and addons that read it);
* ``flyout``: ``enabled`` and ``position`` (``bottom-right``, ``bottom-left``, ``top-right``,
  ``top-left``);
* ``customscript``: ``src``, a script the pages load (``https://`` or a path on the docs host): the
  docs are the project's own content already, so this lets a maintainer add one without a rebuild.

The analytics code is a project field (Read the Docs' ``analytics_code``/``analytics_disabled``).
"""

from __future__ import annotations

import copy
from typing import Any

from app.extensions import db
from app.models import Project

FLYOUT_POSITIONS = ("bottom-right", "bottom-left", "top-right", "top-left")
DEFAULTS: dict[str, dict[str, Any]] = {
    "flyout": {"enabled": True, "position": "bottom-right"},
    "notifications": {"enabled": True, "show_on_latest": False, "show_on_non_stable": True},
    "options": {"load_when_embedded": False, "root_selector": None},
    "customscript": {"src": None},
}


def settings_of(project: Project) -> dict[str, dict[str, Any]]:
    """The defaults with the project's choices over them."""
    merged = copy.deepcopy(DEFAULTS)
    stored = project.addons_settings or {}
    for group, values in merged.items():
        chosen = stored.get(group)
        if isinstance(chosen, dict):
            values.update({k: v for k, v in chosen.items() if k in values})
    return merged


def update_settings(project: Project, data: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Apply a partial update (validated by the API's schema): only the keys sent change."""
    merged = settings_of(project)
    for group, values in data.items():
        merged[group].update(values)
    # Only what differs from the defaults is stored, so a default changed later reaches every project
    # that never chose otherwise.
    project.addons_settings = {
        group: {k: v for k, v in values.items() if DEFAULTS[group][k] != v}
        for group, values in merged.items()
        if any(DEFAULTS[group][k] != v for k, v in values.items())
    } or None
    db.session.commit()
    return merged
