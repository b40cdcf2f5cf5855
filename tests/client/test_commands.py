"""The client's resource commands against a live server: output, ``--json``, errors and profiles."""

from __future__ import annotations

import json

from docshelf_client.config import load_config, resolve_profile, store_profile

from app.extensions import db
from app.models import EnvironmentVariable, Project, Version
from tests import factories


def test_projects_crud_and_json(cli, user, tmp_path):
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    listed = cli("projects", "list")
    assert listed.exit_code == 0, listed.output
    assert "pip" in listed.stdout and "SLUG" in listed.stdout

    created = cli(
        "projects", "create", "New Docs", "--repository", "https://git.example.com/new.git", "--json"
    )
    assert created.exit_code == 0, created.stderr
    assert json.loads(created.stdout)["slug"] == "new-docs"
    shown = json.loads(cli("projects", "show", "new-docs", "--json").stdout)
    assert shown["repository"]["url"] == "https://git.example.com/new.git"
    assert "new-docs" in cli("projects", "show", "new-docs").stdout
    assert {p["slug"] for p in json.loads(cli("projects", "list", "--json").stdout)} == {"pip", "new-docs"}

    deleted = cli("projects", "delete", "new-docs", "--yes")
    assert deleted.exit_code == 0, deleted.stderr
    db.session.expire_all()
    assert db.session.query(Project).filter_by(slug="new-docs").count() == 0


def test_api_errors_print_detail_and_exit_nonzero(cli, user):
    missing = cli("projects", "show", "nope")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: ") and "Traceback" not in missing.output
    invalid = cli("projects", "create", "x", "--repository", "")
    assert invalid.exit_code == 1 and invalid.stderr.startswith("Error: ")
    unauthenticated = cli("projects", "create", "y", "--repository", "https://e.com/y.git", DOCSHELF_TOKEN="")
    assert unauthenticated.exit_code == 1 and "Error:" in unauthenticated.stderr
    unreachable = cli("projects", "list", "--url", "http://127.0.0.1:9")
    assert unreachable.exit_code == 1 and "Cannot reach" in unreachable.stderr


def test_versions_switches(cli, user):
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    factories.VersionFactory(project=project, slug="dev", verbose_name="dev", identifier="dev", active=False)
    rows = json.loads(cli("versions", "list", "pip", "--json").stdout)
    assert {v["slug"]: v["active"] for v in rows} == {"latest": True, "dev": False}
    assert "latest" in cli("versions", "list", "pip").stdout

    hidden = cli("versions", "hide", "pip", "latest", "--json")
    assert hidden.exit_code == 0 and json.loads(hidden.stdout)["hidden"] is True
    assert (
        json.loads(cli("versions", "hide", "pip", "latest", "--unhide", "--json").stdout)["hidden"] is False
    )
    off = cli("versions", "deactivate", "pip", "dev")
    assert off.exit_code == 0 and "Deactivated pip/dev" in off.stdout
    on = cli("versions", "activate", "pip", "dev", "--json")
    assert on.exit_code == 0, on.stderr
    db.session.expire_all()
    assert db.session.query(Version).filter_by(slug="dev").one().active is True
    assert cli("versions", "activate", "pip", "missing").exit_code == 1


def test_env_set_replace_unset(cli, user):
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    assert cli("env", "set", "pip", "API_KEY", "one").exit_code == 0
    replaced = cli("env", "set", "pip", "API_KEY", "two", "--public", "--json")
    assert replaced.exit_code == 0, replaced.stderr
    assert json.loads(replaced.stdout)["public"] is True
    listed = json.loads(cli("env", "list", "pip", "--json").stdout)
    assert [(v["name"], v["public"]) for v in listed] == [("API_KEY", True)]
    assert "API_KEY" in cli("env", "list", "pip").stdout and "two" not in cli("env", "list", "pip").stdout
    assert cli("env", "unset", "pip", "API_KEY").exit_code == 0
    db.session.expire_all()
    assert db.session.query(EnvironmentVariable).count() == 0
    gone = cli("env", "unset", "pip", "API_KEY")
    assert gone.exit_code == 1 and "No variable API_KEY" in gone.stderr


def test_builds_show_log_cancel(cli, user):
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    triggered = cli("builds", "trigger", "pip", "--json")  # no version: the default version
    assert triggered.exit_code == 0, triggered.stderr
    build = json.loads(triggered.stdout)
    assert build["version"] == "latest" and build["state"]["code"] == "triggered"
    shown = cli("builds", "show", "pip", str(build["id"]))
    assert shown.exit_code == 0 and "triggered" in shown.stdout
    assert cli("builds", "log", "pip", str(build["id"])).exit_code == 0
    cancelled = cli("builds", "cancel", "pip", str(build["id"]), "--json")
    assert cancelled.exit_code == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["state"]["code"] == "cancelled"
    again = cli("builds", "cancel", "pip", str(build["id"]))
    assert again.exit_code == 1 and again.stderr.startswith("Error: ")


def test_profiles_file_and_env_overrides(cli, user, token, live_url, tmp_path, monkeypatch):
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    config = tmp_path / "client.toml"
    monkeypatch.setenv("DOCSHELF_CLIENT_CONFIG", str(config))
    for name in ("DOCSHELF_URL", "DOCSHELF_TOKEN", "DOCSHELF_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    store_profile("broken", "http://127.0.0.1:9", "nope", make_default=True)
    store_profile('live "one"', live_url, token, make_default=False)
    assert load_config()["default"] == "broken" and oct(config.stat().st_mode & 0o777) == "0o600"
    assert resolve_profile('live "one"').url == live_url

    env = {"DOCSHELF_URL": "", "DOCSHELF_TOKEN": ""}
    assert cli("projects", "list", **env).exit_code == 1  # the default profile: nothing listens there
    by_option = cli("projects", "list", "--profile", 'live "one"', **env)
    assert by_option.exit_code == 0 and "pip" in by_option.stdout
    by_env = cli("projects", "list", DOCSHELF_PROFILE='live "one"', **env)
    assert by_env.exit_code == 0 and "pip" in by_env.stdout
    overridden = cli("projects", "list", DOCSHELF_URL=live_url, DOCSHELF_TOKEN=token)
    assert overridden.exit_code == 0 and "pip" in overridden.stdout


def test_server_commands_still_there(cli):
    result = cli("--help")
    for name in ("users", "tokens", "up", "worker", "settings", "db", "ensure-admin", "login", "builds"):
        assert name in result.stdout
    assert "Client commands" in result.stdout and "Server admin commands" in result.stdout


def test_builds_list_newest_first_with_version_and_limit(cli, user):
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    latest = project.versions[0]
    dev = factories.VersionFactory(project=project, slug="dev", verbose_name="dev", identifier="dev")
    passed = factories.BuildFactory(version=latest)
    failed = factories.BuildFactory(version=dev, success=False)
    running = factories.BuildFactory(version=latest, state="building", success=None)

    table = cli("builds", "list", "pip")
    assert table.exit_code == 0, table.stderr
    rows = [line.split() for line in table.stdout.splitlines()]
    assert rows[0] == ["ID", "VERSION", "STATE", "RESULT", "COMMIT", "CREATED", "DURATION"]
    assert [row[:4] for row in rows[1:]] == [
        [str(running.id), "latest", "building", running.commit[:12]],  # no result yet: the column is empty
        [str(failed.id), "dev", "finished", "failed"],
        [str(passed.id), "latest", "finished", "passed"],
    ]
    assert rows[-1][-2:] == ["42", "s"]

    newest_two = json.loads(cli("builds", "list", "pip", "--limit", "2", "--json").stdout)
    assert [b["id"] for b in newest_two] == [running.id, failed.id]
    of_latest = json.loads(cli("builds", "list", "pip", "latest", "--json").stdout)
    assert [b["id"] for b in of_latest] == [running.id, passed.id]
    missing = cli("builds", "list", "pip", "nope")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: ")


def test_builds_list_walks_pages_up_to_the_limit(cli, user, monkeypatch):
    import importlib

    # the module (the package's ``builds`` attribute is the command group)
    monkeypatch.setattr(importlib.import_module("docshelf_client.commands.builds"), "PAGE_SIZE", 2)
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    made = [factories.BuildFactory(version=project.versions[0]) for _ in range(5)]
    got = json.loads(cli("builds", "list", "pip", "--limit", "3", "--json").stdout)
    assert [b["id"] for b in got] == [b.id for b in reversed(made)][:3]
    everything = json.loads(cli("builds", "list", "pip", "--limit", "50", "--json").stdout)
    assert len(everything) == 5


def test_versions_sync_queues_a_sync(app, cli, user):
    from rq import Queue

    from app.extensions import get_redis

    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    synced = cli("versions", "sync", "pip", "--json")
    assert synced.exit_code == 0, synced.stderr
    assert json.loads(synced.stdout) == {"triggered": True}
    queued = [job for name in ("default", "builds") for job in Queue(name, connection=get_redis(app)).jobs]
    assert any("sync" in job.func_name for job in queued), [job.func_name for job in queued]
    human = cli("versions", "sync", "pip")
    assert human.exit_code == 0 and "docshelf versions list pip" in human.stdout


def test_errors_under_json_are_the_error_contract_on_stderr(cli, user, tmp_path):
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    factories.ProjectFactory(name="Bare", slug="bare", maintainers=[user], repository_url="")

    missing = cli("projects", "show", "nope", "--json")
    assert missing.exit_code == 1 and missing.stdout == ""
    body = json.loads(missing.stderr)
    assert body["status"] == 404 and body["code"] == "not_found" and body["detail"] and body["request_id"]

    refused = cli("versions", "sync", "bare", "--json")  # no repository to sync from: the API's 400
    assert refused.exit_code == 1
    assert json.loads(refused.stderr)["status"] == 400 and json.loads(refused.stderr)["triggered"] is False

    unknown = cli("env", "unset", "pip", "NOPE", "--json")  # found by the client itself
    assert unknown.exit_code == 1
    assert json.loads(unknown.stderr) == {
        "type": "urn:docshelf:error:not_found", "title": "Client error", "status": None,
        "detail": "No variable NOPE on pip.", "code": "not_found", "retryable": False, "errors": {},
    }
    bad = tmp_path / "bad.yml"
    bad.write_text("- {type: page, from_url: [unclosed\n")
    broken = cli("redirects", "apply", "pip", "-f", str(bad), "--json")
    assert broken.exit_code == 1 and json.loads(broken.stderr)["code"] == "invalid_file"
    plain = cli("redirects", "apply", "pip", "-f", str(bad))  # without --json: one line, no traceback
    assert plain.exit_code == 1 and plain.stderr.startswith(f"Error: {bad}: not a YAML file")

    unreachable = cli("projects", "list", "--url", "http://127.0.0.1:9", "--json")
    assert unreachable.exit_code == 1
    assert json.loads(unreachable.stderr)["code"] == "unreachable"
    assert json.loads(unreachable.stderr)["retryable"] is True
