"""Processes other than ``docshelf up`` start only on a real database and Redis (app/preflight.py).

Each case runs the real console script (or gunicorn) as a subprocess in an empty directory with no
``DOCSHELF_*`` settings except those named, and checks the one-paragraph message, the exit status,
that no traceback is printed and that nothing was created.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

BIN = os.path.dirname(sys.executable)
DOCSHELF = shutil.which("docshelf", path=BIN) or "docshelf"


def _run(args: list[str], cwd, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    env.update(settings)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def _refused(result: subprocess.CompletedProcess[str], *phrases: str) -> str:
    assert result.returncode != 0, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    message = next(line for line in result.stderr.splitlines() if line.startswith("Error: "))
    for phrase in phrases:
        assert phrase in message, message
    return message


@pytest.mark.parametrize("command", [["users", "create", "bob"], ["tokens", "create", "bob"], ["worker"]])
def test_a_command_in_the_wrong_directory_names_the_missing_database_and_creates_nothing(tmp_path, command):
    result = _run([DOCSHELF, *command], tmp_path)
    _refused(
        result,
        f"No Docshelf database exists at {tmp_path / 'data' / 'docshelf.db'}",
        "DOCSHELF_DATA_DIR",
        "DOCSHELF_DATABASE_URL",
    )
    assert list(tmp_path.iterdir()) == []  # no data directory, no key file, no SQLite file


def test_a_database_without_docshelf_tables_is_refused(tmp_path):
    sqlite3.connect(tmp_path / "other.db").close()
    result = _run([DOCSHELF, "users", "create", "bob"], tmp_path, DOCSHELF_DATABASE_URL="sqlite:///other.db")
    _refused(result, "holds no Docshelf tables", "docshelf db upgrade")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_an_unreachable_database_server_is_named_without_its_password(tmp_path):
    url = "postgresql://docshelf:s3cret@127.0.0.1:1/docshelf"
    message = _refused(_run([DOCSHELF, "users", "create", "bob"], tmp_path, DOCSHELF_DATABASE_URL=url),
                       "Cannot open the database postgresql://docshelf:***@127.0.0.1:1/docshelf")
    assert "s3cret" not in message


@pytest.mark.parametrize("command", [["users", "create", "bob"], ["worker"]])
def test_without_a_redis_url_no_private_redis_is_started(app, tmp_path, command):
    """The database is the suite's (it exists); the data directory is empty: no ``up`` runs there."""
    data_dir = tmp_path / "data"
    result = _run([DOCSHELF, *command], tmp_path, DOCSHELF_DATABASE_URL=app.config["DATABASE_URL"],
                  DOCSHELF_DATA_DIR=str(data_dir), DOCSHELF_SECRET_KEY="x")
    _refused(result, "No Redis: DOCSHELF_REDIS_URL is not set", f"no `docshelf up` is running on the data "
             f"directory {data_dir}")
    assert list(tmp_path.iterdir()) == []  # above all no redis.db nor redis.password


def test_an_unreachable_redis_is_named_without_its_password(app, tmp_path):
    result = _run([DOCSHELF, "users", "create", "bob"], tmp_path, DOCSHELF_SECRET_KEY="x",
                  DOCSHELF_DATABASE_URL=app.config["DATABASE_URL"], DOCSHELF_REDIS_URL="redis://:s3cret@127.0.0.1:1/0")
    message = _refused(result, "Cannot reach Redis at redis://***@127.0.0.1:1/0")
    assert "s3cret" not in message


def test_a_stale_published_url_counts_as_no_running_up(app, tmp_path):
    """An ``up`` killed before it could clean up leaves ``redis.url`` naming a socket that is gone."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "redis.url").write_text(f"unix://:{'0' * 64}@{tmp_path}/gone/redis.socket?db=0\n")
    result = _run([DOCSHELF, "users", "create", "bob"], tmp_path, DOCSHELF_SECRET_KEY="x",
                  DOCSHELF_DATABASE_URL=app.config["DATABASE_URL"], DOCSHELF_DATA_DIR=str(data_dir))
    _refused(result, "No Redis")


def test_gunicorn_stops_before_forking_with_the_message_alone(tmp_path):
    gunicorn = os.path.join(BIN, "gunicorn")
    result = _run([gunicorn, "--config", "python:app.gunicorn_conf", "--bind", "127.0.0.1:0", "app.wsgi:app"],
                  tmp_path)
    _refused(result, "No Docshelf database exists at")
    assert "Booting worker" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_migrations_need_neither_an_existing_database_nor_redis(tmp_path):
    """``docshelf db upgrade`` is how a database comes to exist; it never touches Redis."""
    result = _run([DOCSHELF, "db", "upgrade"], tmp_path, DOCSHELF_DATA_DIR=str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    tables = sqlite3.connect(tmp_path / "data" / "docshelf.db").execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert ("users",) in tables
    assert not (tmp_path / "data" / "redis.db").exists()


def test_help_lists_docshelfs_commands_and_loads_no_app(tmp_path):
    result = _run([DOCSHELF, "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    client_part, server_part = result.stdout.split("Client commands")[1].split("Server admin commands")

    def listed(part: str) -> set[str]:
        return {line.split()[0] for line in part.splitlines()[1:] if line.startswith("  ")}

    # Two sections: what any client does over the API, apart from what runs on the server itself.
    assert listed(client_part) == {"login", "projects", "versions", "builds", "redirects", "env", "download",
                                   "publish"}
    assert {"up", "web", "worker", "users", "tokens", "settings", "db", "ensure-admin"} == listed(server_part)
    assert not listed(server_part) & {"run", "routes", "shell"}
    assert "--app" not in result.stdout
    assert list(tmp_path.iterdir()) == []
