"""Translations: a project's documentation in another language, linked to its main-language project.

Read the Docs' v3 API only lists them; linking is done from its dashboard. These functions are the
rules such a form (or a future route, or the CLI) goes through, so the list never shows a state
the rules forbid: one level deep, one translation per language, never the main project's language.
"""

from __future__ import annotations

from sqlalchemy import Select, exists, select

from app.errors import ValidationError
from app.extensions import db
from app.models import Project
from app.policy import Principal, readable_filter
from app.services.projects import base_query, with_active_versions
from app.services.subprojects import lock_projects, parent_id_of

#: Errors are keyed like the field of Read the Docs' translation form, so a future route can reuse them.
FIELD = "project"


def translations_query(
    main: Project, principal: Principal | None, with_versions: bool = False, with_last_build: bool = False
) -> Select[tuple[Project]]:
    """The translations of ``main`` the principal may read; the others are filtered before paging."""
    stmt = base_query().where(Project.main_language_project_id == main.id, readable_filter(principal))
    if with_versions:
        stmt = with_active_versions(stmt, with_last_build)
    return stmt.order_by(Project.slug)  # Read the Docs' default project ordering


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, errors={FIELD: [message]})


def _has_translations(project_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Project.main_language_project_id == project_id))))


def _language_taken(main: Project, language: str, except_id: int) -> bool:
    stmt = exists().where(
        Project.main_language_project_id == main.id, Project.language == language, Project.id != except_id
    )
    return bool(db.session.scalar(select(stmt)))


def set_translation(main: Project, translation: Project) -> Project:
    """Make ``translation`` a translation of ``main``; idempotent when it already is.

    Permissions are the caller's: Read the Docs asks the user to maintain both projects.
    """
    if translation.id == main.id:
        raise _invalid("A project cannot be a translation of itself.")
    lock_projects(main, translation)
    db.session.refresh(main)  # the lock may have waited for a writer that changed either row
    db.session.refresh(translation)
    if translation.main_language_project_id == main.id:
        return translation
    if main.main_language_project_id is not None:
        raise _invalid(f"Project '{main.slug}' is already a translation; it cannot have translations.")
    if translation.main_language_project_id is not None:
        raise _invalid(f"Project '{translation.slug}' is already a translation of another project.")
    if translation.language == main.language:
        raise _invalid(
            f"Both projects have the same language ({main.language}); a translation needs another one."
        )
    if _language_taken(main, translation.language, translation.id):
        raise _invalid(f"Project '{main.slug}' already has a translation for {translation.language}.")
    if _has_translations(translation.id):
        raise _invalid(
            f"Project '{translation.slug}' has translations of its own; it cannot be a translation."
        )
    if parent_id_of(translation.id) is not None:
        # The mirror of the subproject rule: a translation is served under its main project, not a parent.
        raise _invalid(f"Project '{translation.slug}' is a subproject; a subproject cannot be a translation.")
    translation.main_language_project_id = main.id
    db.session.commit()
    return translation


def unset_translation(main: Project, translation: Project) -> Project:
    """Unlink a translation; it stays a project of its own, served at its own URLs again."""
    if translation.main_language_project_id != main.id:
        raise _invalid(f"Project '{translation.slug}' is not a translation of '{main.slug}'.")
    translation.main_language_project_id = None
    db.session.commit()
    return translation
