"""The Sphinx extension and MkDocs plugin: in the engine's builds, and in the ways builders enable them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workers.integrations import SCRIPT_ID, inject, script_tag, settings
from workers.integrations.sphinx_ext import CONF_PY_SNIPPET, append_to_conf_py

TAG = re.compile(r"<script [^>]*id=\"docshelf-addons\"[^>]*></script>")


def read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


@pytest.mark.parametrize("project", ["shelf-sphinx", "shelf-mkdocs"])
@pytest.mark.parametrize("version", ["latest", "1.0"])
def test_engine_builds_carry_the_script_on_every_page(sites, project, version):
    html = sites.html(sites.sphinx if project == "shelf-sphinx" else sites.mkdocs, version)
    pages = [os.path.join(d, f) for d, _, files in os.walk(html) for f in files if f.endswith(".html")]
    assert len(pages) >= 4
    for page in pages:
        tags = TAG.findall(read(page))
        assert len(tags) == 1, page
        assert 'src="/_/static/docshelf-addons.js"' in tags[0] and "async" in tags[0]
        assert f'data-docshelf-project="{project}"' in tags[0]
        assert f'data-docshelf-version="{version}"' in tags[0]
        assert 'data-docshelf-api="/_/addons/"' in tags[0]


def test_settings_come_from_the_build_environment():
    assert settings({}) is None
    assert settings({"READTHEDOCS_PROJECT": "p"}) is None
    rtd = settings({"READTHEDOCS_PROJECT": "p", "READTHEDOCS_VERSION": "v", "READTHEDOCS_LANGUAGE": "en"})
    assert (
        rtd is not None
        and rtd["data-docshelf-project"] == "p"
        and rtd["src"] == "/_/static/docshelf-addons.js"
    )
    ours = settings(
        {
            "DOCSHELF_PROJECT": "d",
            "READTHEDOCS_PROJECT": "r",
            "DOCSHELF_VERSION": "1.0",
            "DOCSHELF_ADDONS_BASE": "https://docs.example.com/_",
        }
    )
    assert ours is not None and ours["data-docshelf-project"] == "d"
    assert ours["src"] == "https://docs.example.com/_/static/docshelf-addons.js"
    assert ours["data-docshelf-api"] == "https://docs.example.com/_/addons/"


def test_inject_is_idempotent_and_escapes():
    tag = script_tag({"id": SCRIPT_ID, "src": "/x.js", "data-docshelf-project": 'a"b<'})
    assert 'data-docshelf-project="a&quot;b&lt;"' in tag
    page = "<html><HEAD><title>t</title></HEAD><body></body></html>"
    once = inject(page, tag)
    assert once.index(tag) < once.index("</HEAD>") and inject(once, tag) == once
    assert inject("<body>x</body>", tag).endswith(tag + "\n</body>")
    assert inject("fragment", tag) == "fragment\n" + tag


def build_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DOCSHELF_PROJECT": "demo",
        "DOCSHELF_VERSION": "2.1",
        "READTHEDOCS_LANGUAGE": "en",
        "SITE_TITLE": "From the environment",
    }


def test_builders_can_enable_the_sphinx_extension_by_appending_to_conf_py(tmp_path):
    src = tmp_path / "docs"
    src.mkdir()
    (src / "conf.py").write_text('project = "Demo"\nextensions = ("sphinx.ext.todo",)\n')
    (src / "index.rst").write_text("Demo\n====\n\nHello.\n")
    append_to_conf_py(str(src / "conf.py"))
    append_to_conf_py(str(src / "conf.py"))  # a second call changes nothing
    assert (src / "conf.py").read_text().count(CONF_PY_SNIPPET) == 1
    out = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)]
    subprocess.run(cmd, env=build_env(tmp_path), check=True, capture_output=True, timeout=120)
    page = read(str(out / "index.html"))
    assert 'data-docshelf-project="demo"' in page and 'data-docshelf-version="2.1"' in page
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "epub", str(src), str(tmp_path / "epub")],
        env=build_env(tmp_path),
        check=True,
        capture_output=True,
        timeout=120,
    )
    epub_pages = "".join(p.read_text() for p in (tmp_path / "epub").glob("*.xhtml"))
    assert "Hello." in epub_pages and SCRIPT_ID not in epub_pages


def test_builders_can_enable_the_mkdocs_plugin_without_editing_mkdocs_yml(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Demo\n\nHello.\n")
    # YAML tags like !ENV survive because the config is never rewritten
    (tmp_path / "mkdocs.yml").write_text("site_name: !ENV [SITE_TITLE, Demo]\n")
    site = tmp_path / "site"
    cmd = [
        sys.executable,
        "-m",
        "workers.integrations.mkdocs_build",
        "build",
        "--clean",
        "--site-dir",
        str(site),
        "--config-file",
        str(tmp_path / "mkdocs.yml"),
    ]
    subprocess.run(cmd, env=build_env(tmp_path), check=True, capture_output=True, timeout=120)
    page = read(str(site / "index.html"))
    assert len(TAG.findall(page)) == 1 and 'data-docshelf-version="2.1"' in page
    assert "From the environment" in page
    assert (site / "search" / "search_index.json").exists()  # the default plugins are still on
    assert len(TAG.findall(read(str(site / "404.html")))) == 1  # theme pages get it too, XML files not
    assert SCRIPT_ID not in read(str(site / "sitemap.xml"))


def test_the_mkdocs_entry_point_is_registered():
    from importlib.metadata import entry_points

    [entry] = [e for e in entry_points(group="mkdocs.plugins") if e.name == "docshelf"]
    assert entry.value == "workers.integrations.mkdocs_plugin:DocshelfPlugin"
