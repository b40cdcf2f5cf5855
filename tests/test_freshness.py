"""The data generation: moved by every committed write, ORM or Core, in the write's own transaction;
not by reads, rollbacks, quiet writes or a build's log chunks."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import insert, select, update

from app.extensions import db
from app.freshness import generation, quiet_write
from app.models import BuildLogChunk, Project
from tests import factories


def test_writes_move_it_and_nothing_else_does(app: Flask):
    factories.ProjectFactory(name="Pip")
    gen = generation(app)
    before = gen.current()
    assert before is not None
    db.session.scalars(select(Project)).all()
    db.session.commit()
    assert gen.current() == before  # a read, even a committed one
    db.session.execute(quiet_write(update(Project).values(homepage="https://a.example")))
    db.session.commit()
    assert gen.current() == before  # a write that opted out
    db.session.execute(update(Project).values(homepage="https://rolled.example"))
    db.session.rollback()
    assert gen.current() == before  # a write that never committed
    with db.engine.begin() as conn:
        conn.execute(update(Project).values(homepage="https://b.example"))
    after_core = gen.current()
    assert after_core not in (None, before)
    factories.ProjectFactory(name="Other")  # an ORM flush and commit
    assert gen.current() not in (None, before, after_core)


def test_a_builds_log_progress_is_not_a_change(app: Flask, user):
    build = factories.BuildFactory(version=factories.VersionFactory(
        project=factories.ProjectFactory(name="Logged", maintainers=[user])))
    gen = generation(app)
    before = gen.current()
    for n in range(3):
        db.session.execute(insert(BuildLogChunk).values(build_id=build.id, start=n, size=1, text="x"))
        db.session.commit()
    assert gen.current() == before


def test_the_move_is_part_of_the_commit(app: Flask):
    """Another connection sees the new generation exactly when it sees the write: no window between."""
    factories.ProjectFactory(name="Pip")
    gen = generation(app)
    before = gen.current()
    with db.engine.connect() as writer:
        writer.execute(update(Project).values(homepage="https://c.example"))
        assert gen.current() == before  # written, not committed: others see neither
        writer.commit()
    assert gen.current() != before


def test_only_the_transactions_that_wrote_move_it(app: Flask):
    """The commit listener stays with a connection that once wrote: its later transactions move the
    generation only when they write too, and a pooled connection reused after a rollback starts clean."""
    factories.ProjectFactory(name="Pip")
    gen = generation(app)
    with db.engine.connect() as conn:
        conn.execute(update(Project).values(homepage="https://one.example"))
        conn.commit()
        first = gen.current()
        conn.execute(select(Project.id)).all()
        conn.commit()  # a read-only transaction on the connection that wrote before
        assert gen.current() == first
        conn.execute(update(Project).values(homepage="https://two.example"))
        conn.rollback()
        conn.execute(select(Project.id)).all()
        conn.commit()
        assert gen.current() == first  # the write was rolled back: nothing to announce
        conn.execute(update(Project).values(homepage="https://three.example"))
        conn.commit()
        assert gen.current() not in (None, first)


def test_reads_install_no_engine_wide_listener(app: Flask):
    """The watch is on statements (the dialect) and on connections that wrote, never on the engine:
    an engine-level listener would be joined into every connection of every request."""
    for name in ("before_cursor_execute", "after_cursor_execute", "commit", "rollback", "begin"):
        assert not getattr(db.engine.dispatch, name), name
