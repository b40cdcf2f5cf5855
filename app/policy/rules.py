"""Who may read and write a project: one rule, evaluated in Python or compiled to SQL.

Each rule is built from :class:`Condition` terms that carry both forms side by side - a test on a
loaded project and the SQL filter selecting the same projects - so a detail view (``can_read``) and
a list filtered before paging (``readable_filter``) cannot disagree: they are the same rule. The
terms:

* **public** projects are readable by everyone, anonymous or not;
* **private access** (a private project, private versions, private docs) needs an administrator,
  a maintainer or a read grant - within the credential's **reach**;
* a credential's reach is its project restriction (a token made for some projects); a build's bot
  token reaches only its own project and is no person, so it never writes;
* **writing** needs an administrator or a maintainer, within reach; a viewer never writes and a read
  grant never allows a write.

Every function takes the :class:`~app.policy.principal.Principal` explicitly (None: anonymous).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from app.extensions import db
from app.models import Project, ProjectReadGrant, User
from app.models.project import project_maintainers
from app.policy.principal import Person, Principal


@dataclass(frozen=True)
class Condition:
    """A condition on a project in its two forms: ``test`` on a loaded project, ``sql`` as a filter."""

    test: Callable[[Project], bool]
    sql: Callable[[], ColumnElement[bool]]

    def __or__(self, other: Condition) -> Condition:
        if self is ALWAYS or other is NEVER:
            return self
        if other is ALWAYS or self is NEVER:
            return other
        return Condition(lambda p: self.test(p) or other.test(p), lambda: or_(self.sql(), other.sql()))

    def __and__(self, other: Condition) -> Condition:
        if self is NEVER or other is ALWAYS:
            return self
        if other is NEVER or self is ALWAYS:
            return other
        return Condition(lambda p: self.test(p) and other.test(p), lambda: and_(self.sql(), other.sql()))


ALWAYS = Condition(lambda p: True, true)
NEVER = Condition(lambda p: False, false)
PUBLIC = Condition(lambda p: p.privacy_level == "public", lambda: Project.privacy_level == "public")


def _among(project_ids: Collection[int]) -> Condition:
    ids = frozenset(project_ids)
    return Condition(lambda p: p.id in ids, lambda: Project.id.in_(sorted(ids)))


def has_grant(user: User | Person, project: Project) -> bool:
    stmt = exists().where(ProjectReadGrant.project_id == project.id, ProjectReadGrant.user_id == user.id)
    return bool(db.session.scalar(select(stmt)))


def _maintained_by(person: Person) -> Condition:
    maintained = select(project_maintainers.c.project_id).where(project_maintainers.c.user_id == person.id)
    return Condition(lambda p: any(u.id == person.id for u in p.users), lambda: Project.id.in_(maintained))


def _granted_to(person: Person) -> Condition:
    granted = select(ProjectReadGrant.project_id).where(ProjectReadGrant.user_id == person.id)
    return Condition(lambda p: has_grant(person, p), lambda: Project.id.in_(granted))


def reach(principal: Principal | None) -> Condition:
    """The projects a credential may act on at all, whatever its holder's standing in them."""
    if principal is None:
        return NEVER
    if principal.is_bot:  # its own project only; a bot without one reaches nothing
        return _among(principal.project_ids or ())
    return ALWAYS if principal.project_ids is None else _among(principal.project_ids)


def private_access_rule(principal: Principal | None) -> Condition:
    """Administrator, maintainer or read grant, within reach; a bot: its own project."""
    if principal is None:
        return NEVER
    user = principal.person
    if principal.is_bot or user is None:
        return reach(principal)
    standing = ALWAYS if user.is_admin else _maintained_by(user) | _granted_to(user)
    return reach(principal) & standing


def read_rule(principal: Principal | None) -> Condition:
    return PUBLIC | private_access_rule(principal)


def write_rule(principal: Principal | None) -> Condition:
    """Administrators and maintainers, within reach; never a viewer, a read grant or a bot."""
    user = principal.person if principal is not None else None
    if principal is None or principal.is_bot or user is None or user.role == "viewer":
        return NEVER
    return reach(principal) & (ALWAYS if user.is_admin else _maintained_by(user))


def has_private_access(principal: Principal | None, project: Project) -> bool:
    """What it takes to see a private project, its private versions and its private docs."""
    return private_access_rule(principal).test(project)


def can_read(principal: Principal | None, project: Project) -> bool:
    return read_rule(principal).test(project)


def can_write(principal: Principal | None, project: Project) -> bool:
    return write_rule(principal).test(project)


#: What the rules read of a principal, all of it: two principals with the same values get the same
#: SQL (tests/security/test_policy_rules.py records what the rules read and checks it is listed here).
RULE_INPUTS = ("is_bot", "project_ids", "person.id", "person.is_admin", "person.role")
_SQL_CACHE_SIZE = 4096
_sql_cache: dict[tuple[object, ...], ColumnElement[bool]] = {}


def rule_inputs(principal: Principal | None) -> tuple[object, ...] | None:
    """:data:`RULE_INPUTS`' values: principals with equal inputs get the same answer from every rule."""
    if principal is None:
        return None
    user = principal.person
    ids = principal.project_ids
    return (principal.is_bot, None if ids is None else tuple(sorted(ids)),
            *((user.id, user.is_admin, user.role) if user is not None else (None, None, None)))


def _cached_sql(name: str, rule: Callable[[Principal | None], Condition],
                principal: Principal | None) -> ColumnElement[bool]:
    """A rule's SQL, built once per distinct principal: a read runs it on every request, and building
    the expression cost as much as running the query (SQLAlchemy expressions are immutable, so one
    is shared by every request of the same principal)."""
    key = (name, rule_inputs(principal))
    sql = _sql_cache.get(key)
    if sql is None:
        if len(_sql_cache) >= _SQL_CACHE_SIZE:
            _sql_cache.clear()
        sql = _sql_cache[key] = rule(principal).sql()
    return sql


def private_access_filter(principal: Principal | None) -> ColumnElement[bool]:
    """SQL form of :func:`has_private_access`, for queries over ``Project``."""
    return _cached_sql("private", private_access_rule, principal)


def readable_filter(principal: Principal | None) -> ColumnElement[bool]:
    """SQL form of :func:`can_read`: lists filter out what the caller may not read, before paging."""
    return _cached_sql("read", read_rule, principal)


def writable_filter(principal: Principal | None) -> ColumnElement[bool]:
    """SQL form of :func:`can_write`."""
    return write_rule(principal).sql()


def reach_filter(principal: Principal) -> ColumnElement[bool]:
    """SQL form of the credential's reach: a restricted token lists only the projects it covers."""
    return reach(principal).sql()
