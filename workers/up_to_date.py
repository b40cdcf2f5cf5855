"""``up_to_date``: a build whose inputs are those of the version's last successful build is not run again.

Webhooks and syncs trigger builds of commits that were built already: a forge delivering the same push
twice, a pull request reopened or labelled without a new commit, a sync touching every version. Such a
build ends right after the checkout, *successfully*, saying so in its log and its warnings, and the
version keeps serving what that earlier build published.

Only when nothing Docshelf knows of could change the output:

- the same commit (the repository's files, the configuration file and the pinned submodules with it);
- the same resolved configuration (a different ``readthedocs_yaml_path`` picks another file);
- the same environment the build gets from Docshelf and the project: the ``READTHEDOCS_*`` variables
  (language, canonical URL, version name...) and the project's variables, values included (kept only
  as an HMAC under the server's secret key: the manifest never holds a guessable hash of a secret);
- the same Docshelf release and the worker's ``BUILD_*`` settings (sandbox, limits, package index);
- and the earlier build's site is still the version's published one (its manifest recorded, the
  version built, a site in storage).

What Docshelf cannot see can still change the output: unpinned requirements, intersphinx inventories,
the date. So a build a *person* asked for (the API's trigger, ``triggered_by``) always runs: asking is
the "force". Read the Docs itself leaves skipping to the project (``exit 183`` in a ``build.jobs``
step); this skip is Docshelf's own, for the automatic triggers only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from flask import current_app

from app import storage
from app.extensions import db
from app.models import Build, Project, Version
from app.services.build_env import build_variables
from app.services.builds import last_successful_build
from workers.recorder import Recorder

#: Bump when a change to the build pipeline makes earlier builds' output stale on its own.
SCHEME = 1


def _release() -> str:
    try:
        return package_version("docshelf")
    except PackageNotFoundError:
        return "unknown"


def inputs(project: Project, version: Version, commit: str, config: dict[str, Any]) -> str:
    """A digest of everything a build's output depends on that Docshelf knows (see the module)."""
    # Placeholder paths: the real ones contain the build's id, which must not make every build differ.
    env = build_variables(project, version, commit=commit, output_dir="/output/", repository_path="/checkout",
                          virtualenv_path="/venv")
    document = {
        "scheme": SCHEME,
        "release": _release(),
        "commit": commit,
        "config": config,
        "env": env,
        # The worker's build settings (sandbox, limits, package index, tools): another worker or an
        # admin's change may build the same commit differently (or fail it).
        "worker": {k: str(v) for k, v in current_app.config.items() if k.startswith("BUILD_")},
    }
    key = str(current_app.config["SECRET_KEY"]).encode()
    payload = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def previous(build: Build, digest: str) -> Build | None:
    """The version's last successful build when this one would publish the same site, else None."""
    if build.triggered_by_id is not None or build.version_id is None:
        return None
    version = db.session.get(Version, build.version_id)
    if version is None or not version.built:
        return None
    last = last_successful_build(build.version_id, with_manifest=True)
    if last is None or not isinstance(last.manifest, dict) or last.manifest.get("inputs") != digest:
        return None
    if not storage.backend().has_site(build.project.slug, version.slug):
        return None
    return last


def message(last: Build) -> str:
    """The log line and warning of a skipped build."""
    return (f"Nothing changed since build #{last.id} (the same commit {(last.commit or '')[:12]}, "
            "configuration and environment): its published docs are kept, and this build did not run "
            "again. Trigger a build yourself to rebuild anyway.")


class UpToDate(Exception):
    """Raised by :func:`skip_if_unchanged` to end the build successfully without building."""

    def __init__(self, formats: list[str]) -> None:
        super().__init__("up to date")
        self.formats = formats  # the downloads the kept site has


def skip_if_unchanged(rec: Recorder, build: Build, digest: str) -> None:
    """Raise :class:`UpToDate` (after saying why in the log and the warnings) when nothing changed."""
    last = previous(build, digest)
    if last is None:
        return
    text = message(last)
    # The kept site's manifest is this build's too: the next trigger and the file-tree diff read the
    # version's last successful build.
    build.manifest = dict(last.manifest or {})
    db.session.commit()
    rec.note("# up to date", text + "\n", description="Up to date")
    rec.warn(text)
    version = db.session.get(Version, build.version_id) if build.version_id else None
    raise UpToDate(list(version.built_formats or []) if version is not None else [])
