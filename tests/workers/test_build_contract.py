"""Read the Docs' build contract where real projects rely on it (issue 21, first part): the build's
paths in the environment, ``build.commands`` making ``$READTHEDOCS_OUTPUT`` themselves, an optional
format that fails without costing the HTML, and a publish count of pages."""

from __future__ import annotations

import json
import os

from app.extensions import db
from app.models import Version
from tests.workers.conftest import sphinx_files
from tests.workers.test_end_to_end import site
from tests.workers.test_sandbox_attacks import build_once

SHOW_PATHS = ('echo "repo=$READTHEDOCS_REPOSITORY_PATH venv=$READTHEDOCS_VIRTUALENV_PATH '
              'out=$READTHEDOCS_OUTPUT"; test "$PWD" = "$READTHEDOCS_REPOSITORY_PATH"; '
              'test -x "$READTHEDOCS_VIRTUALENV_PATH/bin/python"')


def test_the_build_paths_are_in_the_environment(app, client, user, headers, make_repo):
    files = sphinx_files("Paths")
    files[".readthedocs.yaml"] = ("version: 2\nsphinx:\n  configuration: docs/conf.py\nbuild:\n  jobs:\n"
                                  f"    pre_build:\n      - {json.dumps(SHOW_PATHS)}\n")
    build, log = build_once(client, headers, user, make_repo(files).url, "paths")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-2000:])
    line = next(x for x in log.splitlines() if x.startswith("repo="))
    repo, venv, out = (part.split("=", 1)[1] for part in line.split())
    assert repo.endswith("/checkout") and venv.endswith("/venv") and out == repo + "/_readthedocs/"


def test_build_commands_make_the_output_directory_themselves(app, client, user, headers, make_repo):
    commands = ["mkdir _readthedocs", "mkdir _readthedocs/html",
                "echo '<h1>Made by hand</h1>' > _readthedocs/html/index.html"]
    files = {".readthedocs.yaml": "version: 2\nbuild:\n  commands:\n"
             + "".join(f"    - {json.dumps(c)}\n" for c in commands)}
    build, log = build_once(client, headers, user, make_repo(files).url, "handmade")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-2000:])
    with open(site(app, "handmade", "latest", "html", "index.html")) as fh:
        assert "Made by hand" in fh.read()


def test_a_failing_optional_format_keeps_the_html(app, client, user, headers, make_repo):
    files = sphinx_files("Epubless", extra='import sys\nif "epub" in sys.argv:\n'
                                           '    raise RuntimeError("no epub for this project")\n')
    files[".readthedocs.yaml"] = ("version: 2\nformats: [epub, htmlzip]\n"
                                  "sphinx:\n  configuration: docs/conf.py\n")
    build, log = build_once(client, headers, user, make_repo(files).url, "epubless")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    assert "The epub download could not be built" in log and "no epub for this project" in log
    published = site(app, "epubless", "latest")
    assert os.path.exists(os.path.join(published, "html", "index.html"))
    assert sorted(os.listdir(os.path.join(published, "downloads"))) == ["epubless.zip"]
    version = db.session.get(Version, build.version_id)
    assert version is not None and version.built_formats == ["htmlzip"]  # the API offers what exists


def test_the_publish_note_counts_pages(app, client, user, headers, make_repo):
    build, log = build_once(client, headers, user, make_repo().url, "counted")
    assert build.success, build.error
    note = next(x for x in log.splitlines() if x.startswith("Published "))
    pages = int(note.split()[1])
    html = [n for _d, _s, names in os.walk(site(app, "counted", "latest", "html")) for n in names
            if n.endswith(".html")]
    # The fixture has one page; Sphinx's genindex.html and search.html are not the author's pages.
    assert pages == 1 and {"genindex.html", "search.html"} <= set(html)
    assert "files with their assets" in note


def test_build_jobs_replace_the_steps_they_name(app, client, user, headers, make_repo):
    """install, build.html and build.pdf as Read the Docs runs them: instead of Docshelf's own step."""
    config = {
        "version": 2, "formats": ["pdf"], "sphinx": {"configuration": "docs/conf.py"},
        "python": {"install": [{"requirements": "docs/requirements.txt"}]},
        "build": {"jobs": {
            "install": ["echo installing my own way"],
            "build": {
                "html": ["mkdir -p $READTHEDOCS_OUTPUT/html",
                         "echo '<p>html of my own</p>' > $READTHEDOCS_OUTPUT/html/index.html"],
                "pdf": ["mkdir -p $READTHEDOCS_OUTPUT/pdf",
                        "echo -n '%PDF-1.4 mine' > $READTHEDOCS_OUTPUT/pdf/x.pdf"],
            },
        }},
    }
    files = sphinx_files("Own")
    files["docs/requirements.txt"] = "this-package-does-not-exist-anywhere==0\n"  # never installed
    files[".readthedocs.yaml"] = json.dumps(config)
    build, log = build_once(client, headers, user, make_repo(files).url, "own")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    assert "installing my own way" in log and "this-package-does-not-exist" not in log.split("$ echo")[-1]
    assert "-m sphinx" not in log and "Configuration warnings" not in log
    with open(site(app, "own", "latest", "html", "index.html")) as fh:
        assert "html of my own" in fh.read()
    with open(site(app, "own", "latest", "downloads", "own.pdf"), "rb") as fh:
        assert fh.read() == b"%PDF-1.4 mine"


def test_pip_in_build_commands_is_the_build_environments(app, client, user, headers, make_repo):
    commands = ["command -v pip", "pip --version", "mkdir -p $READTHEDOCS_OUTPUT/html",
                "echo ok > $READTHEDOCS_OUTPUT/html/index.html"]
    files = {".readthedocs.yaml": "version: 2\nbuild:\n  commands:\n"
             + "".join(f"    - {json.dumps(c)}\n" for c in commands)}
    build, log = build_once(client, headers, user, make_repo(files).url, "pipped")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-2000:])
    lines = log.splitlines()
    assert any(x.endswith("/venv/bin/pip") for x in lines), log[-2000:]
    assert "externally-managed-environment" not in log
