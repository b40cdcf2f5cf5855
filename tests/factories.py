"""factory_boy factories for the models; every row a test needs comes from here."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.extensions import db
from app.models import Build, EnvironmentVariable, Project, ProjectRelationship, Redirect, User, Version
from app.models.base import utcnow


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(_Base):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = "user"


class ProjectFactory(_Base):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.LazyAttribute(lambda p: p.name.lower().replace(" ", "-"))
    repository_url = factory.LazyAttribute(lambda p: f"https://git.example.com/{p.slug}.git")
    repository_type = "git"
    language = "en"
    programming_language = "py"
    tags = factory.LazyFunction(list)

    @factory.post_generation
    def maintainers(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted:
            self.users = list(extracted)
            db.session.commit()

    @factory.post_generation
    def with_latest(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted is not False:
            VersionFactory(
                project=self,
                slug="latest",
                verbose_name="latest",
                identifier="main",
                machine=True,
                active=True,
            )


class VersionFactory(_Base):
    class Meta:
        model = Version

    project = factory.SubFactory(ProjectFactory, with_latest=False)
    slug = factory.Sequence(lambda n: f"v{n}.0")
    verbose_name = factory.LazyAttribute(lambda v: v.slug)
    identifier = factory.LazyAttribute(lambda v: v.slug)
    type = "branch"
    active = True
    built = False
    privacy_level = "public"
    built_formats = factory.LazyFunction(list)


class BuildFactory(_Base):
    class Meta:
        model = Build

    version = factory.SubFactory(VersionFactory)
    project = factory.LazyAttribute(lambda b: b.version.project)
    version_slug = factory.LazyAttribute(lambda b: b.version.slug)
    state = "finished"
    success = True
    commit = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
    config = factory.LazyFunction(dict)
    started = factory.LazyFunction(lambda: utcnow() - timedelta(seconds=42))
    finished = factory.LazyAttribute(
        lambda b: b.started + timedelta(seconds=42) if b.state in ("finished", "cancelled") else None
    )

    @factory.post_generation
    def link(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if self.version is not None:
            self.version.last_build_id = self.id
            db.session.commit()


class RedirectFactory(_Base):
    class Meta:
        model = Redirect

    project = factory.SubFactory(ProjectFactory)
    type = "page"
    from_url = factory.Sequence(lambda n: f"/old-{n}.html")
    to_url = factory.Sequence(lambda n: f"/new-{n}.html")
    position = 0


class EnvironmentVariableFactory(_Base):
    class Meta:
        model = EnvironmentVariable

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"VAR_{n}")
    value_encrypted = factory.LazyFunction(lambda: _encrypt("secret"))
    value_length = 6
    public = False


class RelationshipFactory(_Base):
    class Meta:
        model = ProjectRelationship

    parent = factory.SubFactory(ProjectFactory)
    child = factory.SubFactory(ProjectFactory)
    alias = factory.LazyAttribute(lambda r: r.child.slug)


def _encrypt(value: str) -> str:
    from app.crypto import encrypt

    return encrypt(value)


def make_token(user: User, name: str = "test") -> str:
    from app.services.accounts import create_token

    _token, key = create_token(user, name)
    return key
