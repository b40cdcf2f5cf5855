"""Project environment variables: name rules, size limits, and encryption at rest.

The clear value only passes through :func:`create_environment_variable` on its way to
:func:`app.crypto.encrypt`; nothing here returns or logs it. Builds decrypt it on the worker.
"""

from __future__ import annotations

import re

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from app.crypto import encrypt
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import EnvironmentVariable, Project
from app.services import projects

MAX_NAME_LENGTH = 128
MAX_VALUE_LENGTH = 48_000
MAX_PROJECT_TOTAL = 256_000
#: Prefixes the build sets itself (``READTHEDOCS_*`` and their ``DOCSHELF_*`` twins) or that
#: shells/tools reserve (``__``): a project variable must not override what the build relies on.
RESERVED_PREFIXES = ("__", "READTHEDOCS", "DOCSHELF")

_NAME = re.compile(r"[A-Za-z0-9_]+")


def environment_variables_query(project: Project) -> Select[EnvironmentVariable]:
    return (
        select(EnvironmentVariable)
        .where(EnvironmentVariable.project_id == project.id)
        .options(joinedload(EnvironmentVariable.project, innerjoin=True))
        .order_by(EnvironmentVariable.id)
    )


def get_environment_variable(project: Project, variable_id: int) -> EnvironmentVariable:
    stmt = environment_variables_query(project).where(EnvironmentVariable.id == variable_id)
    variable = db.session.scalars(stmt).first()
    if variable is None:
        raise NotFound("No EnvironmentVariable matches the given query.")
    return variable


def name_errors(name: str) -> list[str]:
    """What is wrong with a name, independently of the project (empty when it is fine)."""
    if not name:
        return ["This field may not be blank."]
    errors = []
    if len(name) > MAX_NAME_LENGTH:
        errors.append(f"Ensure this field has no more than {MAX_NAME_LENGTH} characters.")
    if not _NAME.fullmatch(name):
        errors.append("Use only letters, digits and underscores in the name.")
    # Case-insensitive: ``readthedocs_version`` would still shadow the build's own variable on
    # case-insensitive platforms and confuse readers everywhere.
    for prefix in RESERVED_PREFIXES:
        if name.upper().startswith(prefix):
            errors.append(f"The name cannot start with {prefix}.")
    return errors


def value_errors(value: str) -> list[str]:
    # Never echo the value: it is a secret, and error bodies end up in logs and CI output.
    if not value:
        return ["This field may not be blank."]
    if len(value) > MAX_VALUE_LENGTH:
        return [f"Ensure this field has no more than {MAX_VALUE_LENGTH} characters."]
    return []


def create_environment_variable(
    project: Project, *, name: str, value: str, public: bool = False
) -> EnvironmentVariable:
    """Store a variable with its value encrypted; the per-project rules are checked under a lock."""
    errors = {"name": name_errors(name), "value": value_errors(value)}
    if any(errors.values()):
        raise _invalid({key: messages for key, messages in errors.items() if messages})
    with projects.locked(project):
        _check_project_rules(project, name, len(value))
        variable = EnvironmentVariable(
            project=project, name=name, value_encrypted=encrypt(value), value_length=len(value), public=public
        )
        db.session.add(variable)
    return variable


def _check_project_rules(project: Project, name: str, length: int) -> None:
    """Unique name, bounded total size: a 400 the client can act on, never the constraint's 409/500."""
    in_project = EnvironmentVariable.project_id == project.id
    taken = select(EnvironmentVariable.id).where(in_project, EnvironmentVariable.name == name)
    if db.session.scalar(taken) is not None:
        raise _invalid({"name": ["There is already a variable with this name for this project."]})
    used = select(func.coalesce(func.sum(EnvironmentVariable.value_length), 0)).where(in_project)
    total = db.session.scalar(used) or 0
    if total + length > MAX_PROJECT_TOTAL:
        message = (
            f"The values of a project's environment variables cannot exceed {MAX_PROJECT_TOTAL} "
            f"characters in total; {total} are used."
        )
        raise _invalid({"value": [message]})


def delete_environment_variable(variable: EnvironmentVariable) -> None:
    db.session.delete(variable)
    db.session.commit()


def _invalid(errors: dict[str, list[str]]) -> ValidationError:
    name, messages = next(iter(errors.items()))
    return ValidationError(f"{name}: {messages[0]}", errors=errors)
