"""The data generation: changed by every committed write, ORM or Core, and by nothing else."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select, update

from app.extensions import db, get_redis
from app.freshness import KEY, Generation, generation, quiet_write
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


def test_a_redis_restart_starts_a_generation_never_seen_before(app: Flask):
    gen = generation(app)
    seen = {gen.current()}
    for _ in range(3):
        get_redis(app).delete(KEY)  # what a restart without persistence does to the key...
        assert gen._pubsub is not None
        gen._pubsub.connection.disconnect()  # ...and to the subscription (redis-py reconnects it)
        seen.add(gen.current())
    assert None not in seen and len(seen) == 4


def test_a_change_reaches_another_process_without_a_read_of_the_key(app: Flask):
    """Another Generation object is another process's view: it learns of a change from the message."""
    other = Generation(app)
    before = other.current()
    reads = []
    redis = get_redis(app)
    original = redis.get
    generation(app).changed()
    try:
        redis.get = lambda *a, **k: reads.append(a) or original(*a, **k)  # type: ignore[method-assign]
        after = other.current()
    finally:
        redis.get = original  # type: ignore[method-assign]
    assert after not in (None, before) and after == original(KEY).decode()
    assert reads == []  # the subscription told it; no round trip to read the key
