"""Migrations: one head, and ``upgrade head`` on an empty database gives exactly the models' schema."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import inspect

from app import create_app
from app.extensions import db
from app.models.search import SQLITE_FTS_TABLES
from tests.conftest import fresh_database

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def test_single_head():
    from alembic.config import Config

    config = Config(os.path.join(MIGRATIONS, "alembic.ini"))
    config.set_main_option("script_location", MIGRATIONS)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@pytest.fixture
def empty_database_url(tmp_path):
    base = os.environ.get("DOCSHELF_TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path / "migrated.db")
        return
    with fresh_database(base, "docshelf_migrate") as url:
        yield url


def _not_fts(name: str | None, type_: str, parent: object) -> bool:
    return not (type_ == "table" and name in SQLITE_FTS_TABLES)


def test_upgrade_head_matches_models(empty_database_url, redis_url, tmp_path):
    app = create_app(
        DATA_DIR=str(tmp_path), DATABASE_URL=empty_database_url, REDIS_URL=redis_url, SECRET_KEY="x"
    )
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            # SQLite's FTS5 tables (the search engine's, made by the migration and create_all alike).
            context = MigrationContext.configure(conn, opts={"include_name": _not_fts})
            diff = compare_metadata(context, db.metadata)
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    assert diff == []
    assert tables >= {t.name for t in db.metadata.sorted_tables}
