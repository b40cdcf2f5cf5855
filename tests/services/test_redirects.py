"""app.services.redirects: the dense position order and the rules, without HTTP."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.models import Redirect
from app.services import redirects as service
from tests import factories


@pytest.fixture
def project() -> Any:
    return factories.ProjectFactory(slug="pip")


def create(project: Any, position: int | None = None) -> Redirect:
    data: dict[str, Any] = {"type": "page", "from_url": "/a", "to_url": "/b"}
    if position is not None:
        data["position"] = position
    return service.create_redirect(project, data)


def order(project: Any) -> list[int]:
    """Ids by position, after checking the invariant: positions are exactly 0..n-1."""
    db.session.expire_all()  # read what the database holds, not what the session remembers
    rows = db.session.execute(
        select(Redirect.id, Redirect.position)
        .where(Redirect.project_id == project.id)
        .order_by(Redirect.position)
    ).all()
    assert [position for _, position in rows] == list(range(len(rows)))
    return [redirect_id for redirect_id, _ in rows]


def reload(redirect_id: int) -> Redirect:
    return db.session.get(Redirect, redirect_id)  # type: ignore[return-value]


def test_insert_at_top_by_default(project):
    first = create(project).id
    second = create(project).id
    assert order(project) == [second, first]


def test_insert_in_the_middle_and_at_the_end(project):
    ids = [create(project, position=i).id for i in range(3)]
    middle = create(project, position=1).id
    end = create(project, position=4).id
    assert order(project) == [ids[0], middle, ids[1], ids[2], end]


@pytest.mark.parametrize(("requested", "expected"), [(-3, 0), (2, 2), (50, 2)])
def test_insert_position_is_clamped(project, requested, expected):
    create(project, position=0)
    create(project, position=1)
    assert create(project, position=requested).position == expected


def test_move_up_shifts_the_items_in_between_down(project):
    a, b, c, d = (create(project, position=i).id for i in range(4))
    service.update_redirect(reload(d), {"position": 1})
    assert order(project) == [a, d, b, c]


def test_move_down_shifts_the_items_in_between_up(project):
    a, b, c, d = (create(project, position=i).id for i in range(4))
    service.update_redirect(reload(a), {"position": 2})
    assert order(project) == [b, c, a, d]


def test_move_past_the_end_lands_last_and_same_place_is_a_no_op(project):
    a, b, c = (create(project, position=i).id for i in range(3))
    service.update_redirect(reload(b), {"position": 1})
    assert order(project) == [a, b, c]
    service.update_redirect(reload(a), {"position": 10})
    assert order(project) == [b, c, a]


@pytest.mark.parametrize("index", [0, 2, 4])
def test_delete_closes_the_gap(project, index):
    ids = [create(project, position=i).id for i in range(5)]
    service.delete_redirect(reload(ids[index]))
    assert order(project) == ids[:index] + ids[index + 1 :]


def test_positions_are_per_project(project):
    other = factories.ProjectFactory(slug="other")
    mine = create(project).id
    theirs = [create(other, position=i).id for i in range(2)]
    create(project)
    service.delete_redirect(reload(mine))
    assert order(other) == theirs


def test_random_operations_keep_a_dense_unique_order(project):
    """Any mix of inserts, moves and deletes matches a plain Python list doing the same."""
    rng = random.Random(20240501)
    model: list[int] = []
    for _ in range(60):
        action = rng.choice(["insert", "insert", "move", "delete"]) if model else "insert"
        if action == "insert":
            position = rng.randint(-1, len(model) + 1)
            model.insert(min(max(position, 0), len(model)), create(project, position=position).id)
        elif action == "move":
            moving, target = rng.choice(model), rng.randint(0, len(model) + 1)
            service.update_redirect(reload(moving), {"position": target})
            model.remove(moving)
            model.insert(min(target, len(model)), moving)
        else:
            victim = rng.choice(model)
            service.delete_redirect(reload(victim))
            model.remove(victim)
        assert order(project) == model


def test_failed_update_changes_nothing(project):
    a, b = (create(project, position=i).id for i in range(2))
    with pytest.raises(ValidationError):
        service.update_redirect(reload(b), {"position": 0, "http_status": 418})
    assert order(project) == [a, b]
    assert reload(b).http_status == 302


def test_limit_checked_under_the_lock_leaves_the_order_intact(project):
    for position in range(service.MAX_REDIRECTS_PER_PROJECT):
        factories.RedirectFactory(project=project, position=position)
    with pytest.raises(ValidationError) as info:
        create(project)
    assert info.value.errors["non_field_errors"]
    assert len(order(project)) == service.MAX_REDIRECTS_PER_PROJECT


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/docs/", "/docs"),
        ("docs", "/docs"),
        ("///docs", "/docs"),
        ("/", "/"),
        ("/a/*", "/a/*"),
    ],
)
def test_normalize_from_url(given, expected):
    assert service.normalize_from_url(given) == expected


def test_clean_redirect_defaults_and_html_types_drop_urls():
    values = service.clean_redirect({"type": "clean_url_to_html", "from_url": "/x", "to_url": "/y"})
    assert values == {
        "type": "clean_url_to_html",
        "from_url": "",
        "to_url": "",
        "force": False,
        "enabled": True,
        "description": "",
        "http_status": 302,
    }


def test_clean_redirect_names_the_new_type_for_legacy_ones():
    with pytest.raises(ValidationError) as info:
        service.clean_redirect({"type": "sphinx_htmldir"})
    assert "html_to_clean_url" in info.value.detail
    assert info.value.errors == {"type": [info.value.detail.removeprefix("type: ")]}


def test_concurrent_inserts_stay_dense_on_postgresql(app, project):
    """The project-row lock serialises writers; SQLite serialises them anyway, so only PostgreSQL is run."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (DOCSHELF_TEST_DATABASE_URL)")
    from concurrent.futures import ThreadPoolExecutor

    project_id = project.id

    def insert_some(seed: int) -> None:
        rng = random.Random(seed)
        with app.app_context():  # its own session, so its own transaction
            mine = db.session.get(type(project), project_id)
            for _ in range(5):
                create(mine, position=rng.randint(0, 10))
            db.session.remove()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(insert_some, range(6)))
    assert len(order(project)) == 30
