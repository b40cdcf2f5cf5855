"""Row locks: the one way a service serialises writers on rules that span several rows.

A unique constraint settles a race on one row; a rule over several (a project's concurrent build
slots, dense redirect positions, no nested subprojects, one queued build per version) needs the
rows it depends on locked first. The lock lasts until the transaction ends.

PostgreSQL takes ``SELECT ... FOR UPDATE``. SQLite has no row locks and serialises writers anyway,
but pysqlite only opens a transaction at the first write, so reads made under the "lock" could be
stale: a no-op write takes SQLite's database write lock at once instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam, select, text

from app.extensions import db


def lock_rows(model: Any, ids: Iterable[int]) -> None:
    """Lock the rows of ``model`` with these ids (in id order, so two writers cannot deadlock)."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    column = model.id
    if db.session.get_bind().dialect.name == "sqlite":
        # Plain SQL: an ORM or Core UPDATE would also bump the ``modified`` columns (their onupdate).
        table = model.__table__.name
        statement = text(f"UPDATE {table} SET id = id WHERE id IN :ids").bindparams(  # noqa: S608 - a model's name
            bindparam("ids", expanding=True))
        db.session.execute(statement, {"ids": wanted})
    else:
        db.session.execute(select(column).where(column.in_(wanted)).order_by(column).with_for_update())


@contextmanager
def locked(model: Any, *ids: int) -> Iterator[None]:
    """One transaction holding the rows' locks: commits on success; on any failure rolls back, which
    also releases the locks at once."""
    lock_rows(model, ids)
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
