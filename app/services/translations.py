"""Translations: a project's documentation in another language, linked to its main-language project.

Read the Docs' v3 API only lists them; linking is done from its dashboard. Docshelf also links and
unlinks through the project's ``translation_of`` (``PATCH /projects/<p>/``). Every way goes through
these rules, so the list never shows a state they forbid: one level deep, one translation per
language, never the main project's language (a language change included).
"""

from __future__ import annotations

from sqlalchemy import Select, exists, select

from app.errors import NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.models import Project
from app.policy import Principal, can_read, can_write, readable_filter
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


def get_translation(main: Project, slug: str, principal: Principal | None) -> Project:
    """One of ``main``'s translations the principal may read (404 otherwise, like a missing one)."""
    found = db.session.scalar(select(Project).where(
        Project.main_language_project_id == main.id, Project.slug == slug, readable_filter(principal)))
    if found is None:
        raise NotFound("No translation matches the given query.")
    return found


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


def set_translation_of(project: Project, main_slug: str | None, principal: Principal | None) -> None:
    """``translation_of`` written through the project: link ``project`` to the project ``main_slug``
    (the caller must maintain that one too, as Read the Docs asks) or, with None, unlink it."""
    if main_slug is None:
        main = project.main_language_project
        if main is not None:
            unset_translation(main, project)
        return
    main = db.session.scalar(select(Project).where(Project.slug == main_slug))
    if main is None or not can_read(principal, main):
        message = f"No project '{main_slug}'."
        raise ValidationError(message, errors={"translation_of": [message]})
    if not can_write(principal, main):
        raise PermissionDenied(f"You must maintain '{main_slug}' to add a translation to it.")
    try:
        set_translation(main, project)
    except ValidationError as exc:  # the same rule, keyed by the field this request wrote
        errors = {"translation_of": exc.errors.get(FIELD, [exc.detail])}
        raise ValidationError(exc.detail, errors=errors) from exc


def check_language(project: Project, language: str) -> None:
    """A language change may not give a translation its main project's language (or a sibling's),
    nor a main project the language of one of its translations."""
    if language == project.language:
        return
    main_id = project.main_language_project_id
    if main_id is not None:
        main = project.main_language_project
        taken = main is not None and (
            main.language == language or _language_taken(main, language, project.id))
    else:
        taken = bool(db.session.scalar(select(exists().where(
            Project.main_language_project_id == project.id, Project.language == language))))
    if taken:
        message = f"A translation of this project already has the language {language}."
        if main_id is not None:
            message = f"The main project or another of its translations already has the language {language}."
        raise ValidationError(message, errors={"language": [message]})
