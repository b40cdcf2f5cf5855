"""The browsable API's human views: tables with badges, the project and build pages, generated forms,
the landing page and the app's 404 page, all server-rendered (readable without JavaScript)."""

from __future__ import annotations

import re
from html import unescape

from app.extensions import db
from app.models import BuildCommand, BuildLogChunk
from app.services.accounts import create_user
from tests import factories
from tests.api.test_browsable import BROWSER, PASSWORD, anchors, login, page

LONG_ERROR = "Building html failed (exit code 2): " + "x" * 400


def section(html: str, id_: str, tag: str = "table") -> str:
    match = re.search(rf'<{tag}[^>]*id="{id_}".*?</{tag}>', html, re.S)
    assert match, f"no <{tag} id={id_}>"
    return match.group(0)


def text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_a_build_list_is_a_table_with_state_badges_and_row_links(client, user, headers):
    project = factories.ProjectFactory(name="Pip", maintainers=[user])
    version = project.versions[0]
    passed = factories.BuildFactory(project=project, version=version)
    failed = factories.BuildFactory(project=project, version=version, success=False, error="boom")
    running = factories.BuildFactory(project=project, version=version, state="building", success=None)
    response, html = page(client, "/api/v3/projects/pip/builds/", **headers)
    assert response.status_code == 200
    table = section(html, "results")
    assert text(re.search(r"<thead>.*?</thead>", table, re.S).group(0)) == (
        "Build Version State Result Created Duration (s) Commit")
    rows = re.findall(r"<tr>.*?</tr>", re.search(r"<tbody>.*?</tbody>", table, re.S).group(0), re.S)
    assert [re.search(r'class="row-link"[^>]*>(\d+)<', row).group(1) for row in rows] == [
        str(running.id), str(failed.id), str(passed.id)]  # newest first, as the JSON
    assert 'class="badge state-building">building<' in rows[0] and 'class="badge idle">pending<' in rows[0]
    assert 'class="badge bad">failed<' in rows[1] and 'class="badge ok">passed<' in rows[2]
    body = client.get("/api/v3/projects/pip/builds/", headers=headers).json
    assert {b["_links"]["_self"] for b in body["results"]} <= set(anchors(table))
    assert '<details id="raw">' in html and 'id="body"' in html  # the JSON one click away


def test_an_empty_list_says_so(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    _, html = page(client, "/api/v3/projects/pip/redirects/", **headers)
    assert re.search(r'id="empty"[^>]*>Nothing here yet', html)


def test_the_project_page_shows_versions_latest_builds_and_triggers(client):
    alice = create_user("alice", password=PASSWORD)
    project = factories.ProjectFactory(name="Pip", maintainers=[alice])
    version = project.versions[0]
    build = factories.BuildFactory(project=project, version=version, success=False, error="boom")
    login(client)  # the triggers are forms a browser session sends
    _, html = page(client, "/api/v3/projects/pip/")
    versions = section(html, "versions")
    assert ">latest<" in versions
    trigger = re.search(r'<form class="api-form trigger" action="([^"]+)" method="post" data-method="POST">',
                        versions)
    assert trigger and trigger.group(1).endswith("/api/v3/projects/pip/versions/latest/builds/")
    builds = section(html, "latest-builds")
    assert f"#{build.id}" in text(builds) and 'class="badge bad">failed<' in builds
    assert any(link.endswith(f"/api/v3/projects/pip/builds/{build.id}/") for link in anchors(builds))
    docs = re.search(r'id="docs-link" href="([^"]+)"', html)
    assert docs and docs.group(1) == client.get("/api/v3/projects/pip/").json["urls"]["documentation"]


def test_the_build_page_shows_state_timing_error_and_the_log(client, user, headers):
    project = factories.ProjectFactory(name="Pip", maintainers=[user])
    build = factories.BuildFactory(project=project, version=project.versions[0], success=False,
                                   error=LONG_ERROR)
    db.session.add(BuildLogChunk(build_id=build.id, start=0, size=22, text="Cloning\nBuilding html\n"))
    db.session.commit()
    _, html = page(client, f"/api/v3/projects/pip/builds/{build.id}/", **headers)
    assert re.search(r'id="build-state" class="badge state-finished">finished<', html)
    assert 'class="badge bad">failed<' in section(html, "build-success", "dd")
    assert text(section(html, "build-duration", "dd")) == "42 s"
    error = section(html, "build-error", "pre")
    assert 'class="error-text"' in error and text(error) == LONG_ERROR
    log = re.search(r'<pre id="log" class="log" data-log-url="([^"]+)" data-offset="(\d+)" '
                    r'data-final="(true|false)"[^>]*>(.*?)</pre>', html, re.S)
    assert log and log.group(1).endswith(f"/builds/{build.id}/log.txt") and log.group(3) == "true"
    assert "Cloning\nBuilding html\n" in unescape(log.group(4))
    whole = client.get(log.group(1)[log.group(1).index("/api/"):], headers=headers)
    assert log.group(2) == whole.headers["Docshelf-Log-Offset"] == "22"  # the poller's next offset


def test_a_running_build_page_follows_its_log(client, user, headers):
    project = factories.ProjectFactory(name="Pip", maintainers=[user])
    build = factories.BuildFactory(project=project, version=project.versions[0], state="building",
                                   success=None)
    _, html = page(client, f"/api/v3/projects/pip/builds/{build.id}/", **headers)
    assert 'data-final="false"' in html and "following" in html
    assert 'src="/static/browsable.log.js"' in html and "<script>" not in html  # a static file, for the CSP
    assert client.get("/static/browsable.log.js").status_code == 200
    assert re.search(r'id="build-error-box" class="problem" hidden', html)  # no error yet
    assert re.search(r'<form class="api-form inline" action="[^"]+/builds/\d+/cancel/"', html)


def test_the_import_form_is_generated_from_the_schema(client, user, headers):
    _, html = page(client, "/api/v3/projects/", **headers)
    form = section(html, "form-post", "form")
    names = re.findall(r'name="([^"]+)" data-kind="([a-z]+)"', form)
    assert ("name", "text") in names and ("repository.url", "text") in names
    assert ("language", "select") in names and ("privacy_level", "select") in names
    assert ("tags", "list") in names and ("single_version", "select") in names
    language = re.search(r'<select id="f-language".*?</select>', form, re.S).group(0)
    assert {"en", "de", "pt-br"} <= set(re.findall(r"<option[^>]*>([\w-]+)</option>", language))
    assert re.search(r'id="f-name"[^>]*required', form)
    assert re.search(r'id="f-repository-url"[^>]*required', form)
    single = re.search(r'<select id="f-single_version".*?</select>', form, re.S).group(0)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", single) == ["—", "true", "false"]  # no default: ask
    assert 'maxlength="63"' in re.search(r'<input[^>]*id="f-name"[^>]*>', form).group(0)


def test_redirect_and_variable_forms_carry_choices_and_help(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    _, html = page(client, "/api/v3/projects/pip/redirects/", **headers)
    form = section(html, "form-post", "form")
    kinds = re.search(r'<select id="f-type".*?</select>', form, re.S).group(0)
    assert re.findall(r"<option[^>]*>([\w_]+)</option>", kinds) == [
        "page", "exact", "clean_url_to_html", "html_to_clean_url"]
    assert 'placeholder="/old/*"' in form
    status = re.search(r'<select id="f-http_status" name="http_status" data-kind="select" data-type="integer"'
                       r'.*?</select>', form, re.S)
    assert status and "<option selected>302</option>" in status.group(0)
    _, html = page(client, "/api/v3/projects/pip/environmentvariables/", **headers)
    form = section(html, "form-post", "form")
    assert "Write-only; stored encrypted." in form
    assert "Exposed to pull-request builds too" in form


def test_every_get_route_renders_its_page(app, client):
    """A human view that failed would fall back to JSON: every route must come back as HTML."""
    admin = factories.UserFactory(username="root", role="admin")
    headers = {"Authorization": f"Token {factories.make_token(admin)}", "Accept": BROWSER}
    project = factories.ProjectFactory(name="Pip", maintainers=[admin])
    build = factories.BuildFactory(project=project, version=project.versions[0])
    values = {"project_slug": "pip", "version_slug": "latest", "build_id": build.id, "username": "root"}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v3/") or "GET" not in (rule.methods or ()):
            continue
        if rule.endpoint.split(".")[0] in ("api-docs", "openapi_ui") or rule.rule.endswith("log.txt"):
            continue
        url = rule.build({name: values.get(name, 1) for name in rule.arguments})[1]  # type: ignore[index]
        response = client.get(url, headers=headers)
        assert response.status_code < 500, url
        assert response.mimetype == "text/html", (url, response.get_data(as_text=True)[:300])


def test_the_root_url_is_a_landing_page(client):
    response = client.get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    links = anchors(html)
    assert {"/api/v3/projects/", "/api/v3/", "/api/v3/docs/"} <= set(links)
    assert "/login?next=/api/v3/projects/" in links
    assert 'href="/static/browsable.css"' in html and "<style" not in html and "<script>" not in html
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_an_unknown_app_path_is_a_styled_404_for_browsers_and_json_for_clients(client):
    response = client.get("/no/such/page", headers={"Accept": BROWSER})
    assert response.status_code == 404 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Page not found" in html and 'href="/static/browsable.css"' in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    plain = client.get("/no/such/page")
    assert plain.status_code == 404 and plain.mimetype == "application/json"
    assert plain.json["status"] == 404 and "Accept" in plain.vary


def test_login_and_device_pages_share_the_look(client):
    for url in ("/login", "/logout"):
        html = client.get(url).get_data(as_text=True)
        assert 'href="/static/browsable.css"' in html and "<style" not in html
        assert 'class="bar"' in html and 'class="narrow"' in html


def test_an_edit_form_starts_from_the_representation(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    _, html = page(client, "/api/v3/projects/pip/versions/latest/", **headers)
    form = section(html, "form-patch", "form")
    assert 'data-method="PATCH"' in form and "Only the fields you change are sent." in form
    active = re.search(r'<select id="e-active"[^>]*data-initial="true"[^>]*>.*?</select>', form, re.S)
    assert active and "<option selected>true</option>" in active.group(0)
    assert "required" not in active.group(0)
    privacy = re.search(r'<select id="e-privacy_level"[^>]*data-initial="public"[^>]*>.*?</select>', form,
                        re.S)
    assert privacy and "<option selected>public</option>" in privacy.group(0)


def test_the_human_views_escape_what_they_show(client, user, headers):
    hostile = '<img src=x onerror="alert(1)">'
    project = factories.ProjectFactory(name="Pip", maintainers=[user])
    build = factories.BuildFactory(project=project, version=project.versions[0], success=False, error=hostile)
    detail = f"/api/v3/projects/pip/builds/{build.id}/"
    client.patch("/api/v3/projects/pip/", headers=headers, json={"homepage": 'https://x.example/"><b>'})
    for url in ("/api/v3/projects/pip/", detail, "/api/v3/projects/pip/builds/"):
        _, html = page(client, url, **headers)
        assert "<img" not in html and "<b>" not in html, url
    _, html = page(client, detail, **headers)
    assert text(section(html, "build-error", "pre")) == hostile  # shown as text, whole


def test_a_builds_commands_read_as_steps_with_their_exit_codes(client, user, headers):
    project = factories.ProjectFactory(name="Pip", maintainers=[user])
    build = factories.BuildFactory(project=project, version=project.versions[0], success=False)
    started = build.started
    db.session.add_all([
        BuildCommand(build_id=build.id, command="git clone repo", output="cloned", exit_code=0,
                     start_time=started, end_time=started),
        BuildCommand(build_id=build.id, command="python -m sphinx", output="Error: <boom>", exit_code=2,
                     start_time=started, end_time=started),
    ])
    db.session.commit()
    _, html = page(client, f"/api/v3/projects/pip/builds/{build.id}/commands/", **headers)
    steps = re.findall(r"<li>.*?</li>", section(html, "commands", "ol"), re.S)
    assert len(steps) == 2
    assert "$ git clone repo" in text(steps[0]) and 'class="badge ok">exit 0<' in steps[0]
    assert "<details>" in steps[0] and "<details open>" in steps[1]  # the failing step is unfolded
    assert 'class="badge bad">exit 2<' in steps[1] and "Error: &lt;boom&gt;" in steps[1]


def test_an_anonymous_reader_of_a_public_project_is_offered_a_login_not_a_trigger(client, user):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    response, html = page(client, "/api/v3/projects/pip/")
    assert response.status_code == 200
    versions = section(html, "versions")
    assert "api-form" not in versions and "/login?next=/api/v3/projects/pip/" in anchors(versions)
