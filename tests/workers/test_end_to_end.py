"""Trigger through the API → a real RQ worker → git, a virtualenv, Sphinx/MkDocs → files in storage."""

from __future__ import annotations

import os
import zipfile

from app.extensions import db
from app.models import Version
from tests import factories
from tests.workers.conftest import Repo, fresh, sphinx_files, work

LOCAL_BACKEND = '''"""A tiny in-tree PEP 517 backend, so the fixture package installs without any index."""
import base64, hashlib, os, zipfile

NAME, VERSION = "docshelf_fixture_ext", "1.0"
DIST = f"{NAME}-{VERSION}"


def _line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    here = os.path.dirname(os.path.abspath(__file__))
    files = {}
    with open(os.path.join(here, NAME, "__init__.py"), "rb") as fh:
        files[f"{NAME}/__init__.py"] = fh.read()
    metadata = f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n"
    files[f"{DIST}.dist-info/METADATA"] = metadata.encode()
    wheel = "Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    files[f"{DIST}.dist-info/WHEEL"] = wheel.encode()
    record = [_line(p, d) for p, d in files.items()] + [f"{DIST}.dist-info/RECORD,,"]
    files[f"{DIST}.dist-info/RECORD"] = ("\\n".join(record) + "\\n").encode()
    name = f"{DIST}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return name
'''

FORMATS_CONFIG = """version: 2
formats: [htmlzip, epub, pdf]
sphinx:
  configuration: docs/conf.py
python:
  install:
    - requirements: docs/requirements.txt
build:
  jobs:
    pre_build:
      - echo "pre_build saw $READTHEDOCS_VERSION at $READTHEDOCS_GIT_COMMIT_HASH"
    post_build:
      - echo "post_build ran"
"""


def trigger(client, headers, project: str, version: str) -> int:
    response = client.post(f"/api/v3/projects/{project}/versions/{version}/builds/", headers=headers)
    assert response.status_code == 202, response.json
    assert response.json["triggered"] is True
    return int(response.json["build"]["id"])


def site(app, project: str, version: str, *parts: str) -> str:
    return os.path.join(app.config["STORAGE_DIR"], project, version, *parts)


def read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def test_sphinx_project_branches_and_tag(app, client, user, headers, sphinx_repo: Repo):
    factories.ProjectFactory(name="Fix", slug="fix", repository_url=sphinx_repo.url, maintainers=[user])
    build_id = trigger(client, headers, "fix", "latest")
    work()

    build = fresh(build_id)
    assert (build.state, build.success, build.error) == ("finished", True, None)
    assert build.commit == sphinx_repo.sha("main")
    assert isinstance(build.duration, int) and build.duration >= 0
    assert build.config["sphinx"]["configuration"] == "docs/conf.py"
    assert "Main branch" in read(site(app, "fix", "latest", "html", "index.html"))
    body = client.get(f"/api/v3/projects/fix/builds/{build_id}/").json
    assert body["state"] == {"code": "finished", "name": "Finished"} and body["success"] is True
    assert body["commit"] == build.commit and body["duration"] == build.duration

    versions = {v["slug"]: v for v in client.get("/api/v3/projects/fix/versions/?limit=50").json["results"]}
    assert versions["latest"]["built"] is True and versions["latest"]["active"] is True
    assert {"dev", "1.0", "2.0rc1", "main", "stable"} <= set(versions)
    assert not any(versions[s]["active"] for s in ("dev", "1.0", "2.0rc1", "main"))
    assert versions["stable"]["ref"] == "1.0" and versions["stable"]["active"] is True

    # Activating a version builds it (the versions API triggers); a tag builds its own commit.
    for slug in ("dev", "1.0"):
        url = f"/api/v3/projects/fix/versions/{slug}/"
        response = client.patch(url, json={"active": True}, headers=headers)
        assert response.status_code == 204
    stable_build = trigger(client, headers, "fix", "stable")
    work()
    assert "Dev branch" in read(site(app, "fix", "dev", "html", "index.html"))
    assert "Release one" in read(site(app, "fix", "1.0", "html", "index.html"))
    assert "Release one" in read(site(app, "fix", "stable", "html", "index.html"))
    assert fresh(stable_build).commit == sphinx_repo.sha("1.0^{commit}")
    built = {v.slug for v in db.session.query(Version).filter_by(built=True)}
    assert built == {"latest", "dev", "1.0", "stable"}


def test_build_log_and_commands_api(client, user, headers, sphinx_repo: Repo):
    factories.ProjectFactory(name="Logs", slug="logs", repository_url=sphinx_repo.url, maintainers=[user])
    build_id = trigger(client, headers, "logs", "latest")
    work()
    page = client.get(f"/api/v3/projects/logs/builds/{build_id}/commands/?limit=100").json
    commands = [c["command"] for c in page["results"]]
    assert page["count"] == len(commands) > 3
    assert commands[0] == "# sandbox" and "bubblewrap sandbox" in page["results"][0]["output"]
    assert commands[1].startswith("git clone --bare")
    assert any(c.startswith("python -m sphinx -T -b html") for c in commands)
    first = page["results"][0]
    assert set(first) >= {"id", "build", "command", "description", "output", "exit_code", "start_time",
                          "end_time", "run_time"}
    assert all(c["exit_code"] == 0 for c in page["results"])
    log = client.get(f"/api/v3/projects/logs/builds/{build_id}/log.txt")
    assert log.status_code == 200 and log.mimetype == "text/plain"
    text = log.get_data(as_text=True)
    assert "$ python -m sphinx" in text and "build succeeded" in text
    assert text.rstrip().endswith("Build succeeded.")


def test_mkdocs_project(app, client, user, headers, make_repo):
    repo = make_repo({"mkdocs.yml": "site_name: Fixture MkDocs\n", "docs/index.md": "# Hello from MkDocs\n"},
                     name="mkdocs")
    created = client.post("/api/v3/projects/", json={"name": "Mk", "repository": {"url": repo.url}},
                          headers=headers)
    assert created.status_code == 201, created.json  # latest has no identifier yet: the remote HEAD decides
    [queued] = client.get("/api/v3/projects/mk/builds/", headers=headers).json["results"]
    assert queued["version"] == "latest" and queued["state"]["code"] == "triggered"  # the import builds it
    build_id = queued["id"]
    work()
    build = fresh(build_id)
    assert (build.state, build.success) == ("finished", True), build.error
    assert build.config["mkdocs"]["configuration"] == "mkdocs.yml" and build.config["sphinx"] is None
    assert "Hello from MkDocs" in read(site(app, "mk", "latest", "html", "index.html"))
    assert build.commit == repo.sha()
    latest = client.get("/api/v3/projects/mk/versions/latest/").json
    assert latest["identifier"] == "main" and latest["built"] is True


def test_broken_conf_py_fails_with_output_in_the_log(app, client, user, headers, make_repo):
    repo = make_repo(sphinx_files("Broken", extra='raise RuntimeError("conf.py is broken on purpose")\n'))
    factories.ProjectFactory(name="Broken", slug="broken", repository_url=repo.url, maintainers=[user])
    build_id = trigger(client, headers, "broken", "latest")
    work()
    build = fresh(build_id)
    assert (build.state, build.success) == ("finished", False)
    assert "exit code" in build.error and "sphinx" in build.error
    failing = build.commands[-1]
    assert failing.exit_code != 0 and "conf.py is broken on purpose" in failing.output
    log = client.get(f"/api/v3/projects/broken/builds/{build_id}/log.txt").text
    assert "conf.py is broken on purpose" in log
    assert client.get(f"/api/v3/projects/broken/builds/{build_id}/").json["success"] is False
    assert not os.path.exists(site(app, "broken", "latest"))
    assert db.session.query(Version).filter_by(slug="latest").one().built is False


def test_extra_formats_local_requirement_and_hooks(app, client, user, headers, make_repo, monkeypatch):
    # rinohtype, the fallback (LaTeX: tests/workers/test_latex_pdf.py)
    monkeypatch.setitem(app.config, "BUILD_LATEX", "off")
    conf = 'import docshelf_fixture_ext\nhtml_title = docshelf_fixture_ext.MESSAGE\n'
    files = sphinx_files("Formats", extra=conf)
    files.update({
        ".readthedocs.yaml": FORMATS_CONFIG,
        "docs/requirements.txt": "./localpkg\n",
        "localpkg/pyproject.toml": ('[build-system]\nrequires = []\nbuild-backend = "backend"\n'
                                    'backend-path = ["."]\n'),
        "localpkg/backend.py": LOCAL_BACKEND,
        "localpkg/docshelf_fixture_ext/__init__.py": 'MESSAGE = "Installed from the local package"\n',
    })
    repo = make_repo(files)
    factories.ProjectFactory(name="Formats", slug="formats", repository_url=repo.url, maintainers=[user])
    build_id = trigger(client, headers, "formats", "latest")
    work()

    build = fresh(build_id)
    assert (build.state, build.success) == ("finished", True), build.error
    assert "Installed from the local package" in read(site(app, "formats", "latest", "html", "index.html"))
    outputs = {c.description: c.output for c in build.commands}
    assert f"pre_build saw latest at {repo.sha()}" in outputs["build.jobs.pre_build"]
    assert "post_build ran" in outputs["build.jobs.post_build"]
    assert build.config["formats"] == ["htmlzip", "pdf", "epub"]
    assert build.config["python"]["install"] == [{"requirements": "docs/requirements.txt"}]

    downloads = site(app, "formats", "latest", "downloads")
    with zipfile.ZipFile(os.path.join(downloads, "formats.zip")) as archive:
        assert "formats-latest/index.html" in archive.namelist()
    assert os.path.getsize(os.path.join(downloads, "formats.epub")) > 0
    version = db.session.query(Version).filter_by(slug="latest").one()
    with open(os.path.join(downloads, "formats.pdf"), "rb") as fh:  # rinohtype: a dependency of Docshelf
        assert fh.read(5) == b"%PDF-"
    assert version.built_formats == ["epub", "htmlzip", "pdf"]
    assert "# pdf through rinohtype" in {c.command for c in build.commands}
    detail = client.get("/api/v3/projects/formats/versions/latest/").json
    assert set(detail["downloads"]) == set(version.built_formats)


def test_build_commands_replace_the_builders(app, client, user, headers, make_repo):
    config = ("version: 2\nformats: [pdf]\nbuild:\n  commands:\n"
              "    - mkdir -p $READTHEDOCS_OUTPUT/html $READTHEDOCS_OUTPUT/pdf\n"
              "    - echo \"<h1>custom $READTHEDOCS_VERSION</h1>\" > $READTHEDOCS_OUTPUT/html/index.html\n"
              "    - echo '%PDF-1.4' > $READTHEDOCS_OUTPUT/pdf/manual.pdf\n")
    repo = make_repo({".readthedocs.yaml": config})
    factories.ProjectFactory(name="Custom", slug="custom", repository_url=repo.url, maintainers=[user])
    build_id = trigger(client, headers, "custom", "latest")
    work()
    build = fresh(build_id)
    assert (build.state, build.success) == ("finished", True), build.error
    assert read(site(app, "custom", "latest", "html", "index.html")).strip() == "<h1>custom latest</h1>"
    assert os.path.exists(site(app, "custom", "latest", "downloads", "custom.pdf"))
    assert db.session.query(Version).filter_by(slug="latest").one().built_formats == ["pdf"]
