"""Indexing at publish: a rebuild replaces a version's entries, deactivation removes them; the build's
output is read like publishing reads it (no links followed, bounded pages); the parser and the query
syntax on their own."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Build, SearchSection
from app.search import query as syntax
from app.search.parse import MAX_TEXT, MAX_TITLE, parse_html
from tests import factories
from tests.search.conftest import CONF
from tests.serving.conftest import work
from tests.workers.conftest import Repo
from workers.config import ConfigError, parse
from workers.search_config import SearchSettings
from workers.search_index import MAX_PAGE_BYTES, index_output


def rows(version_id: int) -> int:
    return db.session.scalar(select(func.count()).where(SearchSection.version_id == version_id)) or 0


def files(word: str) -> dict[str, str]:
    return {"docs/conf.py": CONF, "docs/index.rst": f"Home\n====\n\nThe {word} word.\n"}


def test_a_rebuild_replaces_the_index_and_deactivation_removes_it(client: Any, tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit(files("alpha"), "first")
    repo.tag("v1")
    user: Any = factories.UserFactory(username="maintainer")
    headers = {"Authorization": f"Token {factories.make_token(user)}"}
    project: Any = factories.ProjectFactory(
        name="reindex", slug="reindex", repository_url=repo.url, maintainers=[user]
    )

    def search(q: str) -> int:
        response = client.get("/api/v3/search/", query_string={"q": q})
        assert response.status_code == 200
        return int(response.json["count"])

    assert client.post("/api/v3/projects/reindex/versions/latest/builds/", headers=headers).status_code == 202
    work()
    assert search("project:reindex alpha") == 1
    build = db.session.scalars(select(Build).order_by(Build.id.desc())).first()
    assert build is not None and any("Indexed 1 pages" in c.output for c in build.commands)

    repo.commit(files("beta"), "second")
    assert client.post("/api/v3/projects/reindex/versions/latest/builds/", headers=headers).status_code == 202
    work()
    assert (search("project:reindex alpha"), search("project:reindex beta")) == (0, 1)

    response = client.patch("/api/v3/projects/reindex/versions/v1/", json={"active": True}, headers=headers)
    assert response.status_code == 204
    work()
    db.session.expire_all()
    v1 = next(v for v in project.versions if v.slug == "v1")
    assert search("project:reindex/v1 alpha") == 1 and rows(v1.id) > 0
    response = client.patch("/api/v3/projects/reindex/versions/v1/", json={"active": False}, headers=headers)
    assert response.status_code == 204
    assert rows(v1.id) == 0 and search("project:reindex/v1 alpha") == 0
    latest = next(v for v in project.versions if v.slug == "latest")
    assert rows(latest.id) > 0
    assert client.delete("/api/v3/projects/reindex/", headers=headers).status_code == 204
    assert rows(latest.id) == 0  # the project's rows go with it


def test_the_build_output_is_read_as_publishing_reads_it(tmp_path: Path) -> None:
    """Links are not followed (a page linking to a server file is not indexed), huge pages are left out."""
    secret = tmp_path / "secret.html"
    secret.write_text("<h1>Leaked</h1><p>server secret</p>")
    html = tmp_path / "out" / "html"
    (html / "sub").mkdir(parents=True)
    (html / "index.html").write_text("<main><h1 id='home'>Home</h1><p>kept</p></main>")
    (html / "sub" / "page.html").write_text("<main><h2 id='x'>Sub</h2><p>nested</p></main>")
    (html / "leak.html").symlink_to(secret)
    (html / "linked").symlink_to(tmp_path)
    (html / "big.html").write_bytes(b"<p>" + b"x" * MAX_PAGE_BYTES + b"</p>")
    (html / "_static").mkdir()
    (html / "_static" / "page.html").write_text("<h1>asset</h1>")
    version = factories.VersionFactory(slug="latest", active=True, built=True)
    result = index_output(
        version, str(html), SearchSettings(ranking=[("sub/*", 3)]), root=str(tmp_path / "out")
    )
    assert (result.pages, result.left_out) == (2, 1)
    stored = db.session.scalars(
        select(SearchSection).where(SearchSection.version_id == version.id).order_by(SearchSection.path)
    ).all()
    assert [(r.path, r.anchor, r.content, r.rank) for r in stored] == [
        ("index.html", "home", "kept", 0),
        ("sub/page.html", "x", "nested", 3),
    ]
    assert "secret" not in " ".join(r.content for r in stored)
    os.unlink(html / "leak.html")


def test_search_settings_are_validated_with_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text("")
    config = parse(
        {"search": {"ranking": {"api/*": -1, "api/new.html": 4}, "ignore": ["old/*"]}}, str(tmp_path)
    )
    assert config.search.rank("api/new.html") == 4 and config.search.rank("api/x.html") == -1
    assert config.search.ignored("old/a.html") and not config.search.ignored("search.html")
    assert parse({}, str(tmp_path)).search.ignored("search.html")  # Read the Docs' default
    for bad in (
        {"ranking": {"a": 11}},
        {"ranking": ["a"]},
        {"ranking": {"a": True}},
        {"ignore": "x"},
        {"ignore": [1]},
        "yes",
    ):
        with pytest.raises(ConfigError, match="search"):
            parse({"search": bad}, str(tmp_path))


def test_hostile_html_is_parsed_within_bounds() -> None:
    deep = "<div>" * 200_000 + "<h2 id='deep'>Deep</h2><p>bottom</p>"
    page = parse_html(deep)
    assert [(s.id, s.title, s.content) for s in page.sections] == [("deep", "Deep", "bottom")]
    page = parse_html(
        "<title>T</title><body><script>evil()</script><style>x{}</style><nav>menu</nav>"
        f"<h1>{'t' * 5000}</h1><p>{'w ' * 50_000}<p>unclosed <b>bold <i>both</div></span>"
    )
    (section,) = page.sections
    assert len(section.title) == MAX_TITLE and len(section.content) <= MAX_TEXT
    assert "evil" not in section.content and "menu" not in section.content
    assert (
        parse_html("").sections == []
        and parse_html("<p>\ue000marker\ue001</p>").sections[0].content == "marker"
    )


def test_main_content_only_when_the_page_marks_it() -> None:
    page = parse_html(
        "<body><div>sidebar words</div><div role='main'><section id='a'><h1>A"
        "<a class='headerlink' href='#a'>¶</a></h1><p>inside</p></section></div>"
        "<footer>footer words</footer></body>"
    )
    assert [(s.id, s.title, s.content) for s in page.sections] == [("a", "A", "inside")]
    assert page.title == "A"


def test_query_syntax() -> None:
    q = syntax.parse(
        r'project:a project:b/1.0 subprojects:c user:@me "exact phrase" pre* -gone x | y z~2 a\:b'
    )
    assert (q.projects, q.subprojects, q.user) == (["a", "b/1.0"], ["c"], "@me")
    assert q.text == '"exact phrase" pre* -gone x | y z~2 a:b'
    assert syntax.to_fts5(q) == (
        '("exact phrase") AND ("pre"*) AND ("x" OR "y") AND ("z") AND ("a b") NOT "gone"'
    )
    assert (
        syntax.to_tsquery(q)
        == "(('exact' <-> 'phrase')) & ('pre':*) & ('x' | 'y') & ('z') & (('a' <-> 'b')) & !'gone'"
    )
    assert not syntax.parse("project:a").searchable and not syntax.parse("project:a -x").searchable
    hostile = syntax.parse("\"'); DROP TABLE x; -- NEAR(a) * ^ : \\ '")
    for compiled in (syntax.to_fts5(hostile), syntax.to_tsquery(hostile)):
        assert ";" not in compiled and "DROP" in compiled and "\\" not in compiled


def test_a_version_s_index_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workers import search_index

    monkeypatch.setattr(search_index, "MAX_ROWS", 2)
    html = tmp_path / "html"
    html.mkdir()
    for name in ("a", "b", "c"):
        (html / f"{name}.html").write_text(f"<main><h1 id='{name}'>{name}</h1><p>text</p></main>")
    version = factories.VersionFactory(slug="latest", active=True, built=True)
    result = index_output(version, str(html), SearchSettings(), root=str(tmp_path))
    assert (result.pages, result.rows, result.left_out) == (2, 2, 1)
    assert "Left out 1 pages past the bounds" in result.summary()
