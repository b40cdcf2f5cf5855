"""Pull/merge requests on the GitHub and GitLab receivers: real repositories with ``refs/pull/N/head``
(``refs/merge-requests/N/head``), signed payloads, real builds.

A PR's commits are on no branch of the repository here (as a fork's are): the build can only find
them by fetching the forge's PR ref.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import select

from app import storage
from app.extensions import db
from app.models import Build, Version
from app.services import pull_requests
from tests import factories
from tests.api.test_webhooks_incoming import SECRET, github, gitlab_url, integration
from tests.workers.conftest import Repo, fresh, sphinx_files, work

PR_URL = "https://github.com/pypa/pip/pull/7"


def pr_commit(repo: Repo, number: int, files: dict[str, str], ref: str = "pull") -> str:
    """A commit reachable only from the forge's PR ref (a fork's branch is not in the repository)."""
    repo.git("checkout", "--quiet", "--detach", "main")
    if ref == "pull" and repo.git("for-each-ref", f"refs/pull/{number}/head"):
        repo.git("checkout", "--quiet", "--detach", f"refs/pull/{number}/head")
    sha = repo.commit(files, f"PR {number}")
    repo.git("update-ref", f"refs/{ref}/{number}/head", sha)
    repo.checkout("main")
    return sha


def pr_payload(number: int, action: str, sha: str, *, fork: bool = False,
               url: str = PR_URL) -> dict[str, Any]:
    head_repo = "mallory/pip" if fork else "pypa/pip"
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "html_url": url,
            "state": "closed" if action == "closed" else "open",
            "merged": False,
            "head": {"sha": sha, "ref": "feature", "repo": {"full_name": head_repo, "fork": fork}},
            "base": {"sha": "1" * 40, "ref": "main", "repo": {"full_name": "pypa/pip"}},
        },
        "repository": {"full_name": "pypa/pip"},
        "sender": {"login": "mallory" if fork else "alice"},
    }


def mr_payload(iid: int, action: str, sha: str) -> dict[str, Any]:
    return {
        "object_kind": "merge_request",
        "event_type": "merge_request",
        "project": {"id": 15, "path_with_namespace": "pypa/pip"},
        "object_attributes": {
            "iid": iid,
            "action": action,
            "state": "merged" if action == "merge" else "opened",
            "url": f"https://gitlab.example.com/pypa/pip/-/merge_requests/{iid}",
            "last_commit": {"id": sha, "message": "MR work"},
            "source_project_id": 16,
            "target_project_id": 15,
        },
    }


def gitlab(client: Any, row: Any, payload: dict[str, Any], token: str = SECRET) -> Any:
    return client.post(gitlab_url(row), json=payload,
                       headers={"X-Gitlab-Event": "Merge Request Hook", "X-Gitlab-Token": token})


@pytest.fixture
def repo(tmp_path: Any) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.commit(sphinx_files("Published docs"), "first")
    return repo


@pytest.fixture
def project(user: Any, repo: Repo) -> Any:
    return factories.ProjectFactory(name="Pip", slug="pip", repository_url=repo.url, maintainers=[user],
                                    default_branch="main", external_builds_enabled=True)


def version(slug: str) -> Version | None:
    db.session.expire_all()
    return db.session.scalars(select(Version).where(Version.slug == slug)).one_or_none()


def builds_of(slug: str) -> list[Build]:
    db.session.expire_all()
    return list(db.session.scalars(select(Build).where(Build.version_slug == slug).order_by(Build.id)))


def page(slug: str, name: str = "index.html") -> str:
    path = os.path.join(storage.version_dir("pip", slug), "html", name)
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def test_opened_pr_becomes_an_external_version_and_builds_its_head(client, project, repo):
    sha = pr_commit(repo, 7, sphinx_files("Preview of seven"))
    response = github(client, integration(project), "pull_request", pr_payload(7, "opened", sha))
    assert response.status_code == 200, response.json
    assert response.json["versions"] == ["7"] and response.json["versions_created"] == ["7"]
    pr = version("7")
    assert pr is not None
    assert (pr.type, pr.verbose_name, pr.identifier, pr.active) == ("external", "7", sha, True)
    assert pr.ref == "refs/pull/7/head" and pr.external_url == PR_URL and pr.machine is False
    [build] = builds_of("7")
    assert build.external_url == PR_URL
    work()
    done = fresh(build.id)
    assert done.state == "finished" and done.success is True, done.error
    assert done.commit == sha  # on no branch: only the PR ref brought it
    assert version("7").built is True and "Preview of seven" in page("7")
    assert not any(b.version_slug == "latest" for b in db.session.scalars(select(Build)))


def test_a_newer_push_cancels_the_older_build_and_the_newer_is_served(client, project, repo):
    row = integration(project)
    first = pr_commit(repo, 7, sphinx_files("First push"))
    github(client, row, "pull_request", pr_payload(7, "opened", first))
    second = pr_commit(repo, 7, sphinx_files("Second push"))
    response = github(client, row, "pull_request", pr_payload(7, "synchronize", second))
    assert response.json["versions"] == ["7"] and response.json["versions_created"] == []
    older, newer = builds_of("7")
    assert fresh(older.id).state == "cancelled" and "Superseded" in (fresh(older.id).error or "")
    work()
    assert fresh(newer.id).success is True and fresh(newer.id).commit == second
    assert version("7").identifier == second and "Second push" in page("7")


def test_closing_deactivates_now_and_removes_files_after_the_retention(app, client, project, repo):
    row = integration(project)
    sha = pr_commit(repo, 7, sphinx_files("Short lived"))
    github(client, row, "pull_request", pr_payload(7, "opened", sha))
    work()
    assert version("7").built is True
    response = github(client, row, "pull_request", pr_payload(7, "closed", sha))
    assert response.json["versions_deactivated"] == ["7"] and response.json["build_triggered"] is False
    closed = version("7")
    assert closed.active is False and closed.external_closed is not None and not closed.servable
    assert pull_requests.purge_closed(3600) == []  # within the retention the files stay
    assert "Short lived" in page("7")
    assert pull_requests.purge_closed(0) == [("pip", "7")]
    assert version("7").built is False and not os.path.exists(storage.version_dir("pip", "7"))
    # reopening builds again
    response = github(client, row, "pull_request", pr_payload(7, "reopened", sha))
    assert response.json["versions"] == ["7"]
    work()
    reopened = version("7")
    assert reopened.active and reopened.built and reopened.external_closed is None
    assert "Short lived" in page("7")


def test_the_housekeeping_job_removes_closed_previews_after_the_retention(app, client, project, repo,
                                                                          monkeypatch):
    from workers.jobs import housekeeping

    row = integration(project)
    sha = pr_commit(repo, 7, sphinx_files("Housekept"))
    github(client, row, "pull_request", pr_payload(7, "opened", sha))
    work()
    github(client, row, "pull_request", pr_payload(7, "closed", sha))
    housekeeping(interval=60, stale_after=30)  # the default retention (3 days): kept
    assert version("7").built is True and os.path.exists(storage.version_dir("pip", "7"))
    monkeypatch.setitem(app.config, "EXTERNAL_RETENTION", 0)
    housekeeping(interval=60, stale_after=30)
    assert version("7").built is False and not os.path.exists(storage.version_dir("pip", "7"))


def test_closing_cancels_the_prs_unfinished_build(client, project, repo):
    row = integration(project)
    sha = pr_commit(repo, 7, sphinx_files("Never built"))
    github(client, row, "pull_request", pr_payload(7, "opened", sha))
    github(client, row, "pull_request", pr_payload(7, "closed", sha))
    [build] = builds_of("7")
    assert fresh(build.id).state == "cancelled" and "closed" in (fresh(build.id).error or "")


def test_nothing_happens_without_external_builds_enabled(client, project, repo):
    project.external_builds_enabled = False
    db.session.commit()
    sha = pr_commit(repo, 7, sphinx_files("Ignored"))
    response = github(client, integration(project), "pull_request", pr_payload(7, "opened", sha))
    assert response.status_code == 200 and response.json["build_triggered"] is False
    assert "external_builds_enabled" in response.json["detail"]
    assert version("7") is None and builds_of("7") == []


def test_a_branch_already_on_the_slug_is_never_taken_over(client, project, repo):
    factories.VersionFactory(project=project, slug="7", verbose_name="7", identifier="7", type="branch")
    sha = pr_commit(repo, 7, sphinx_files("Hijack"))
    response = github(client, integration(project), "pull_request", pr_payload(7, "opened", sha))
    assert response.json["build_triggered"] is False and "branch or tag" in response.json["detail"]
    assert version("7").type == "branch" and builds_of("7") == []


def test_other_actions_and_bad_payloads(client, project, repo):
    row = integration(project)
    sha = pr_commit(repo, 7, sphinx_files("Labels"))
    response = github(client, row, "pull_request", pr_payload(7, "labeled", sha))
    assert response.status_code == 200 and "ignored" in response.json["detail"] and version("7") is None
    for bad in ({**pr_payload(7, "opened", sha), "number": "7; rm -rf /"},
                {**pr_payload(7, "opened", sha), "number": True},
                pr_payload(7, "opened", "--upload-pack=evil"),
                pr_payload(7, "opened", "refs/heads/main")):
        response = github(client, row, "pull_request", bad)
        assert response.status_code == 400, response.json
    assert version("7") is None and builds_of("7") == []


def test_a_pr_link_that_is_not_http_is_dropped(client, project, repo):
    sha = pr_commit(repo, 7, sphinx_files("XSS"))
    payload = pr_payload(7, "opened", sha, url="javascript:alert(document.domain)")
    assert github(client, integration(project), "pull_request", payload).status_code == 200
    assert version("7").external_url is None and builds_of("7")[0].external_url is None


def test_external_versions_are_listed_with_type_external(client, project, repo, headers):
    sha = pr_commit(repo, 7, sphinx_files("Listed"))
    github(client, integration(project), "pull_request", pr_payload(7, "opened", sha))
    [build] = builds_of("7")
    detail = client.get(f"/api/v3/projects/pip/builds/{build.id}/", headers=headers).json
    assert (detail["version"], detail["external_url"]) == ("7", PR_URL)
    listed = client.get("/api/v3/projects/pip/builds/", headers=headers).json["results"]
    assert [(b["version"], b["external_url"]) for b in listed] == [("7", PR_URL)]
    response = client.get("/api/v3/projects/pip/versions/?type=external", headers=headers)
    assert response.status_code == 200, response.json
    assert [v["slug"] for v in response.json["results"]] == ["7"]
    assert response.json["results"][0]["type"] == "external"
    others = client.get("/api/v3/projects/pip/versions/?type=branch", headers=headers).json["results"]
    assert "7" not in [v["slug"] for v in others]
    db.session.expire_all()
    pr = version("7")
    pr.built = True  # as a finished build leaves it: still not one of the project's active versions
    db.session.commit()
    detail = client.get("/api/v3/projects/pip/?expand=active_versions", headers=headers).json
    assert [v["slug"] for v in detail["active_versions"]] == []


def test_gitlab_merge_requests_open_update_and_merge(client, project, repo):
    row = integration(project, "gitlab_webhook")
    sha = pr_commit(repo, 3, sphinx_files("Merge request"), ref="merge-requests")
    response = gitlab(client, row, mr_payload(3, "open", sha))
    assert response.status_code == 200 and response.json["versions"] == ["3"], response.json
    assert version("3").ref == "refs/merge-requests/3/head"
    work()
    assert version("3").built is True and "Merge request" in page("3")
    # an edit of the title (same commit) builds nothing
    response = gitlab(client, row, mr_payload(3, "update", sha))
    assert response.json["build_triggered"] is False and len(builds_of("3")) == 1
    assert gitlab(client, row, mr_payload(3, "update", sha), token="wrong").status_code in (401, 403)
    response = gitlab(client, row, mr_payload(3, "merge", sha))
    assert response.json["versions_deactivated"] == ["3"] and version("3").active is False


def test_a_fork_pr_build_sees_only_public_variables(client, project, repo):
    """Attack: the PR's conf.py publishes every variable it can see; no secret one is among them."""
    factories.EnvironmentVariableFactory(project=project, name="DEPLOY_TOKEN", public=False)
    public = factories.EnvironmentVariableFactory(project=project, name="PUBLIC_FLAG", public=True)
    from app.crypto import encrypt

    public.value_encrypted = encrypt("visible-to-prs", "test-secret-key")
    db.session.commit()
    dump = (
        "import os\n"
        "os.makedirs('_extra', exist_ok=True)\n"
        "open('_extra/env.txt', 'w').write('\\n'.join(f'{k}={v}' for k, v in sorted(os.environ.items())))\n"
        "html_extra_path = ['_extra']\n"
    )
    files = sphinx_files("Fork", extra=dump)
    sha = pr_commit(repo, 9, files)
    response = github(client, integration(project), "pull_request", pr_payload(9, "opened", sha, fork=True))
    assert response.json["versions"] == ["9"]
    work()
    [build] = builds_of("9")
    assert fresh(build.id).success is True, fresh(build.id).error
    seen = page("9", "env.txt")
    assert "PUBLIC_FLAG=visible-to-prs" in seen and "READTHEDOCS_VERSION_TYPE=external" in seen
    assert "DEPLOY_TOKEN" not in seen and "secret" not in seen


def test_a_pr_is_never_built_without_the_sandbox(app, client, project, repo, monkeypatch):
    """An admin may turn the sandbox off for a trusted team's own branches, never for anyone's PR."""
    monkeypatch.setitem(app.config, "BUILD_SANDBOX", False)
    sha = pr_commit(repo, 7, sphinx_files("Unsandboxed"))
    github(client, integration(project), "pull_request", pr_payload(7, "opened", sha))
    work()
    [build] = builds_of("7")
    done = fresh(build.id)
    assert done.success is False and "only in the sandbox" in (done.error or "")
    assert version("7").built is False and done.commit is None  # stopped before the clone
