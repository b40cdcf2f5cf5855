"""PDFs as Read the Docs builds them: Sphinx's LaTeX output through ``latexmk`` when the worker host has
TeX, rinohtype only as the fallback; a PDF that fails never costs the HTML, and the API says what failed."""

from __future__ import annotations

import os
import shutil

import pytest

from app.extensions import db
from app.models import Version
from tests.workers.conftest import sphinx_files
from tests.workers.test_end_to_end import site
from tests.workers.test_sandbox_attacks import build_once

#: An extension like sphinx_inline_tabs: its node has HTML and LaTeX visitors, none for rinohtype.
TABS_EXTENSION = '''
from docutils import nodes
from sphinx.util.docutils import SphinxDirective


class tab(nodes.General, nodes.Element):
    pass


def visit_html(self, node):
    self.body.append('<div class="tab">')


def depart_html(self, node):
    self.body.append("</div>")


def visit_latex(self, node):
    self.body.append(r"\\textbf{Tab:} ")


def depart_latex(self, node):
    pass


class TabDirective(SphinxDirective):
    has_content = True

    def run(self):
        node = tab()
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


def setup(app):
    app.add_node(tab, html=(visit_html, depart_html), latex=(visit_latex, depart_latex))
    app.add_directive("tab", TabDirective)
    return {"parallel_read_safe": True}
'''


def _tabs_project(title: str) -> dict[str, str]:
    conf = 'import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\nextensions = ["tabs"]\n'
    files = sphinx_files(title, extra=conf)
    files["docs/index.rst"] += "\n.. tab::\n\n   Inside a tab.\n"
    files["docs/tabs.py"] = TABS_EXTENSION
    files[".readthedocs.yaml"] = "version: 2\nformats: [pdf]\nsphinx:\n  configuration: docs/conf.py\n"
    return files


def _require_latex() -> None:
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return
    message = ("no TeX on this machine (Debian: latexmk texlive-latex-extra texlive-fonts-recommended "
               "tex-gyre)")
    if os.environ.get("CI"):
        pytest.fail(message + "; .ci/run installs it")
    pytest.skip(message)


def test_latex_builds_the_pdf_rinohtype_cannot(app, client, user, headers, make_repo):
    _require_latex()
    build, log = build_once(client, headers, user, make_repo(_tabs_project("Tabbed")).url, "tabbed")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    assert "latexmk -r latexmkrc -pdf" in log and "sphinx -T -b latex" in log
    with open(os.path.join(site(app, "tabbed", "latest", "downloads"), "tabbed.pdf"), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    version = db.session.get(Version, build.version_id)
    assert version is not None and version.built_formats == ["pdf"]
    assert client.get(f"/api/v3/projects/tabbed/builds/{build.id}/").json["warnings"] == []


def test_without_latex_a_failed_pdf_keeps_the_html_and_says_so(app, client, user, headers, make_repo,
                                                              monkeypatch):
    monkeypatch.setitem(app.config, "BUILD_LATEX", "off")  # a host without TeX: rinohtype is all there is
    build, log = build_once(client, headers, user, make_repo(_tabs_project("Untabbed")).url, "untabbed")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    assert "pdf through rinohtype" in log and "The pdf download could not be built" in log
    with open(site(app, "untabbed", "latest", "html", "index.html")) as fh:
        assert '<div class="tab">' in fh.read()
    version = db.session.get(Version, build.version_id)
    assert version is not None and version.built_formats == []
    warnings = client.get(f"/api/v3/projects/untabbed/builds/{build.id}/").json["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith("pdf: the download could not be built")
