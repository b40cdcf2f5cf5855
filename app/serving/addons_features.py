"""The addons of Read the Docs' addons API v1 that Docshelf answers besides the flyout, the version
warning and search: ``analytics``, ``customscript``, ``notifications``, ``options``, ``doc_diff`` and
``filetreediff`` (and ``readthedocs.analytics``).

Each says what the docs pages really do, so a theme or a script reading them is never told a feature
works when it does not: the visual diff compares a pull request's preview with the version it
targets, so here (a published version's page) it is ``enabled: false``, its ``base_url`` naming the
page it would compare with; on a preview the addons view puts :func:`app.serving.doc_diff.doc_diff`
in its place, and :mod:`app.serving.filetreediff` replaces the ``filetreediff`` default alike.
``show_on_external`` is off: a preview has a banner of its own.
The rest, and the flyout's place, follow the project's settings
(:mod:`app.services.addons_settings`) and its analytics fields, and ``/_/static/docshelf-addons.js``
honours them.
"""

from __future__ import annotations

from typing import Any

from app.models import Project
from app.services.addons_settings import settings_of


def analytics(project: Project) -> dict[str, Any]:
    """Google Analytics on the docs pages: on when the project has a code and has not disabled it."""
    code = project.analytics_code or None
    return {"enabled": bool(code) and not project.analytics_disabled, "code": code}


def features(project: Project, base_url: str) -> dict[str, Any]:
    """The per-addon objects of the answer; ``base_url`` is the same page in the default version."""
    settings = settings_of(project)
    notifications = settings["notifications"]
    script = settings["customscript"]["src"]
    return {
        "flyout": dict(settings["flyout"]),
        "analytics": analytics(project),
        "customscript": {"enabled": bool(script), "src": script},
        "notifications": {
            "enabled": notifications["enabled"],
            "show_on_latest": notifications["show_on_latest"],
            "show_on_non_stable": notifications["show_on_non_stable"],
            "show_on_external": False,
        },
        "options": dict(settings["options"]),
        "doc_diff": {"enabled": False, "base_url": base_url, "inject_styles": False},
        "filetreediff": {"enabled": False},
    }
