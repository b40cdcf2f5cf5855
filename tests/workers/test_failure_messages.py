"""A failed build's ``error`` names the step and its cause; the log says things once, as the reader
would write them (no progress-bar redraws, no internal module names, pages counted as pages)."""

from __future__ import annotations

from app.services.build_logs import build_log
from app.storage.base import is_page
from tests import factories
from tests.workers.test_sandbox_attacks import build_once
from workers.failure import MAX_CAUSE, cause, step_failed
from workers.recorder import step_name


def test_the_cause_is_the_last_meaningful_lines():
    output = ("Running Sphinx v8\n\n\x1b[01mloading\x1b[39;49;00m\r\n"
              "Reading 10%\rReading 80%\rReading 100%\n\n"
              "\x1b[91mExtension error:\x1b[0m\nCould not import extension nope\n\n"
              "[notice] A new release of pip is available\n")
    assert cause(output).split(" | ")[-2:] == ["Extension error:", "Could not import extension nope"]
    assert "\x1b" not in cause(output) and "Reading 10%" not in cause(output)
    assert step_failed("Building html", 2, output).startswith("Building html failed (exit code 2): ")
    silent = step_failed("Installing", 1, "\n \n")
    assert silent == "Installing failed (exit code 1); the command printed nothing."


def test_the_cause_prefers_error_lines_and_shortens_build_paths():
    output = ("reading sources... [100%] index\n/b/7/checkout/docs/index.rst:4: ERROR: Unknown directive\n"
              "copying static files...\ndone\nbuild finished with problems, 1 warning.\n")
    assert cause(output, paths=("/b/7/checkout/", "/b/7/")) == (
        "docs/index.rst:4: ERROR: Unknown directive | build finished with problems, 1 warning.")
    pip = "Collecting nope\nERROR: Could not find a version\nERROR: No matching distribution found for nope\n"
    assert cause(pip) == "ERROR: Could not find a version | ERROR: No matching distribution found for nope"


def test_the_cause_is_capped_from_the_front():
    long_line = "x" * 2000 + " the end"
    assert len(cause(long_line)) == MAX_CAUSE and cause(long_line).endswith("the end")
    many = "".join(f"line {i}\n" for i in range(100))
    assert cause(many).endswith(" | line 99") and len(cause(many)) <= MAX_CAUSE and "\n" not in cause(many)


def test_steps_are_named_for_their_reader():
    assert step_name("Building html", "python -m sphinx -T -b html . out") == "Building html"
    assert step_name("build.jobs.pre_build", "make check") == "build.jobs.pre_build `make check`"
    assert step_name("", "tar xf a.tgz") == "The command `tar xf a.tgz`"


def test_generated_pages_are_not_counted_as_pages():
    mkdocs = ["index.html", "404.html", "a/index.html", "b/index.html", "sitemap.xml",
              "search/search_index.json"]
    sphinx = ["index.html", "genindex.html", "search.html", "py-modindex.html", "_static/x.html",
              "_sources/index.rst.txt", "guide/usage.html"]
    assert [p for p in mkdocs if is_page(p)] == ["index.html", "a/index.html", "b/index.html"]
    assert [p for p in sphinx if is_page(p)] == ["index.html", "guide/usage.html"]


def test_a_cancelled_build_says_so_once(user):
    project = factories.ProjectFactory(slug="gone", maintainers=[user])
    version = factories.VersionFactory(project=project, slug="v1")
    build = factories.BuildFactory(version=version, state="cancelled", success=False,
                                   error="The build was cancelled.")
    text, _ = build_log(build)
    assert text.lower().count("was cancelled") == 1 and text.endswith("\nThe build was cancelled.\n")


def test_a_failed_sphinx_build_names_its_step_and_cause(client, user, headers, make_repo):
    files = {"docs/conf.py": "raise RuntimeError('conf.py is broken on purpose')\n",
             "docs/index.rst": "Broken\n======\n"}
    build, log = build_once(client, headers, user, make_repo(files).url, "broken")
    assert (build.state, build.success) == ("finished", False)
    assert build.error.startswith("Building html failed (exit code 2): "), build.error
    assert "RuntimeError: conf.py is broken on purpose" in build.error and len(build.error) < MAX_CAUSE + 60
    assert "report this error" not in build.error  # Sphinx's trailer is not the cause
    assert build_log(build)[0].rstrip().endswith(build.error)  # the log ends with it


def test_an_mkdocs_build_logs_mkdocs_and_counts_its_pages(client, user, headers, make_repo):
    files = {"mkdocs.yml": "site_name: Five\n", **{f"docs/{n}.md": f"# {n}\n" for n in "abcd"},
             "docs/index.md": "# Home\n"}
    build, log = build_once(client, headers, user, make_repo(files).url, "five")
    assert build.success, (build.error, log[-2000:])
    assert "\n$ python -m mkdocs build --clean --site-dir $READTHEDOCS_OUTPUT/html" in log
    assert "workers.integrations" not in log
    assert "Published 5 pages (" in log
