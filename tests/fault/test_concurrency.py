"""Concurrency with real threads against the real app: each thread has its own client, app context,
session and database connection, and the threads are released together by a barrier."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select

from app.extensions import BUILDS_QUEUE, db, get_redis
from app.models import Build, Project, Redirect
from app.models.build import FINAL_STATES
from tests import factories

TRIGGER = "/api/v3/projects/pip/versions/latest/builds/"
REDIRECTS = "/api/v3/projects/pip/redirects/"


def _rows(model: Any, *where: Any, order: Any = None) -> list[Any]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(model).where(*where).order_by(order if order is not None else model.id))
    )


def test_two_simultaneous_triggers_of_one_version_leave_one_build_to_run(
    app, project, headers, simultaneously
):
    from rq import Queue

    for _ in range(3):  # a race is a matter of timing: repeat it
        responses = simultaneously(*[lambda c: c.post(TRIGGER, headers=headers)] * 2)
        assert [r.status_code for r in responses] == [202, 202], [r.json for r in responses]
    rows = _rows(Build, Build.project_id == project.id)
    assert len(rows) == 6
    alive = [b for b in rows if b.state != "cancelled"]
    assert len(alive) == 1, [(b.id, b.state) for b in rows]
    assert alive[0].state == "triggered" and alive[0].id == max(b.id for b in rows)
    for build in rows:
        if build is not alive[0]:
            assert build.state in FINAL_STATES and build.success is False
            assert build.error == "Superseded by a newer build of the same version."
    assert project.versions[0].last_build_id in {b.id for b in rows}
    # Every build was enqueued once (the superseded ones are skipped by the worker as cancelled).
    assert sorted(Queue(BUILDS_QUEUE, connection=get_redis(app)).job_ids) == sorted(b.job_id for b in rows)


def test_two_simultaneous_creates_of_one_name_give_one_201_and_one_400(app, user, headers, simultaneously):
    for attempt in range(3):
        name = f"Racer {attempt}"
        body = {"name": name, "repository": {"url": f"https://github.com/x/racer-{attempt}"}}
        responses = simultaneously(
            *[lambda c, b=body: c.post("/api/v3/projects/", json=b, headers=headers)] * 2
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([201, 400], [201, 409]), [r.json for r in responses]
        loser = next(r for r in responses if r.status_code != 201)
        assert loser.json["code"] in {"validation_error", "conflict"}, loser.json
        projects = _rows(Project, Project.slug == f"racer-{attempt}")
        assert len(projects) == 1 and [v.slug for v in projects[0].versions] == ["latest"]
        assert [u.username for u in projects[0].users] == ["alice"]


def _positions(project_id: int) -> list[tuple[int, int]]:
    db.session.expire_all()
    return [
        (row.id, row.position)
        for row in db.session.execute(
            select(Redirect.id, Redirect.position)
            .where(Redirect.project_id == project_id)
            .order_by(Redirect.position)
        )
    ]


def test_concurrent_redirect_inserts_and_moves_keep_positions_dense(app, project, headers, simultaneously):
    project_id = project.id
    seeded = [
        factories.RedirectFactory(project=project, position=i, from_url=f"/seed{i}", to_url="/x").id
        for i in range(6)
    ]

    def worker(seed: int) -> Any:
        def call(client: Any) -> list[int]:
            rng = random.Random(seed)
            statuses = []
            for step in range(4):
                if seed % 2:
                    response = client.post(
                        REDIRECTS,
                        json={
                            "type": "page",
                            "from_url": f"/t{seed}-{step}",
                            "to_url": "/y",
                            "position": rng.randint(0, 12),
                        },
                        headers=headers,
                    )
                else:
                    target = rng.choice(seeded)
                    response = client.patch(
                        f"{REDIRECTS}{target}/", json={"position": rng.randint(0, 12)}, headers=headers
                    )
                statuses.append(response.status_code)
            return statuses

        return call

    results = simultaneously(*[worker(seed) for seed in range(6)])
    inserts = [s for seed, statuses in enumerate(results) if seed % 2 for s in statuses]
    moves = [s for seed, statuses in enumerate(results) if not seed % 2 for s in statuses]
    assert inserts == [201] * 12 and moves == [200] * 12, results
    rows = _positions(project_id)
    assert len(rows) == 6 + 12
    assert [position for _, position in rows] == list(range(18))
    assert set(seeded) <= {redirect_id for redirect_id, _ in rows}
    # The API lists the same dense order.
    listed = app.test_client().get(f"{REDIRECTS}?limit=100", headers=headers).json["results"]
    assert [r["position"] for r in listed] == list(range(18))
