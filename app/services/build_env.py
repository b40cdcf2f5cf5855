"""The variables a build sees: Read the Docs' ``READTHEDOCS_*`` set, their ``DOCSHELF_*`` twins, then the
project's own variables. The worker adds only a fixed allowlist (PATH, HOME, ...) on top of this; nothing
of its own environment (database URL, secret key, tokens) is ever copied into a build.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.crypto import decrypt
from app.extensions import db
from app.models import EnvironmentVariable, Project, Version
from app.urls import api_url, docs_url, preview_url


def api_base_url() -> str:
    """The API root a build (or its docs' client script) talks to."""
    return api_url()


def canonical_url(project: Project, version: Version) -> str:
    """Where this version is served, so themes can emit canonical links: the docs server's own answer
    (a pull request's preview host for its version)."""
    if version.type == "external":
        return preview_url(project.slug, version.slug) or docs_url(project, version.slug)
    return docs_url(project, version.slug)


def git_identifier(version: Version) -> str:
    """The branch or tag name (a tag's ``identifier`` is its commit; ``stable`` names its ref); a pull
    request's number."""
    if version.type == "external":
        return version.verbose_name
    if version.ref:
        return version.ref
    if version.type == "tag":
        return version.verbose_name
    return version.identifier or version.verbose_name


def rtd_variables(project: Project, version: Version, *, commit: str, output_dir: str,
                  repository_path: str = "", virtualenv_path: str = "") -> dict[str, str]:
    values = {
        "VERSION": version.slug,
        "VERSION_TYPE": version.type,
        "VERSION_NAME": version.verbose_name,
        "PROJECT": project.slug,
        "LANGUAGE": project.language,
        "OUTPUT": output_dir,
        "GIT_COMMIT_HASH": commit,
        "GIT_IDENTIFIER": git_identifier(version),
        "CANONICAL_URL": canonical_url(project, version),
    }
    # Where the build runs (Read the Docs' build environment contract): known only inside a build.
    if repository_path:
        values["REPOSITORY_PATH"] = repository_path
    if virtualenv_path:
        values["VIRTUALENV_PATH"] = virtualenv_path
    env = {"READTHEDOCS": "True", "DOCSHELF": "True"}
    for name, value in values.items():
        env[f"READTHEDOCS_{name}"] = value
        env[f"DOCSHELF_{name}"] = value
    return env


def project_variables(project: Project, *, public_only: bool) -> dict[str, str]:
    """Decrypted project variables; pull-request (``external``) builds get the public ones only."""
    stmt = select(EnvironmentVariable).where(EnvironmentVariable.project_id == project.id)
    if public_only:
        stmt = stmt.where(EnvironmentVariable.public.is_(True))
    secret_key = current_app.config["SECRET_KEY"]
    return {var.name: decrypt(var.value_encrypted, secret_key) for var in db.session.scalars(stmt)}


def build_variables(project: Project, version: Version, *, commit: str, output_dir: str,
                    repository_path: str = "", virtualenv_path: str = "") -> dict[str, str]:
    env = rtd_variables(project, version, commit=commit, output_dir=output_dir,
                        repository_path=repository_path, virtualenv_path=virtualenv_path)
    env.update(project_variables(project, public_only=version.type == "external"))
    return env
