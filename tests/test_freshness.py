"""The data generation: changed by every committed write, ORM or Core, and by nothing else."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select, update

from app.extensions import db, get_redis
from app.freshness import KEY, generation, quiet_write
from app.models import Project
from tests import factories


def test_writes_change_it_reads_and_quiet_writes_do_not(app: Flask):
    factories.ProjectFactory(name="Pip")
    gen = generation(app)
    before = gen.current()
    db.session.scalars(select(Project)).all()
    db.session.commit()
    assert gen.current() == before  # a read, even a committed one
    db.session.execute(quiet_write(update(Project).values(homepage="https://a.example")))
    db.session.commit()
    assert gen.current() == before  # a write that opted out
    with db.engine.begin() as conn:
        conn.execute(update(Project).values(homepage="https://b.example"))
    after_core = gen.current()
    assert after_core not in (None, before)
    factories.ProjectFactory(name="Other")  # an ORM flush and commit
    assert gen.current() not in (None, before, after_core)


def test_a_lost_key_starts_a_generation_never_seen_before(app: Flask):
    gen = generation(app)
    seen = {gen.current()}
    for _ in range(3):
        get_redis(app).delete(KEY)  # what a Redis restart without persistence does
        seen.add(gen.current())
    assert None not in seen and len(seen) == 4
