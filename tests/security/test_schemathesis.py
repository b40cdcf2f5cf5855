"""schemathesis against /api/v3/openapi.json: generated requests (a bounded number per operation) get no
server error and no response that contradicts the document (status code, content type, body schema).

The operations are driven one by one with Hypothesis inside one test: schemathesis' pytest plugin
(``from_fixture``) does not work with pytest 9, and the app exists only as a fixture.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories
from tests.api.helpers import token_headers

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 4
#: Random values, then invalid ones, then valid ones against an existing project (no DELETE there);
#: one test each, so parallel workers share the load.
PASSES = {
    "positive": (GenerationMode.POSITIVE, False),
    "negative": (GenerationMode.NEGATIVE, False),
    "positive-existing-project": (GenerationMode.POSITIVE, True),
}


def run_operation(
    operation: Any, headers: dict[str, str], mode: GenerationMode, pinned: dict[str, str]
) -> None:
    @given(case=operation.as_strategy(mode, path_parameters=pinned or None))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


@pytest.mark.parametrize("name", list(PASSES))
def test_api_matches_its_openapi_document(app: Any, name: str) -> None:
    mode, pin = PASSES[name]
    user = factories.UserFactory(username="alice")
    project = factories.ProjectFactory(name="Pip", maintainers=[user])
    factories.BuildFactory(version=project.versions[0])
    headers = token_headers(user)
    schema = schemathesis.openapi.from_wsgi("/api/v3/openapi.json", app)
    failures: list[str] = []
    count = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        if pin and ("project_slug" not in names or operation.method.upper() == "DELETE"):
            continue
        count += 1
        pinned = {"project_slug": "pip"} if pin else {}
        try:
            run_operation(operation, headers, mode, pinned)
        except Unsatisfiable:  # nothing in this operation can be made invalid (string path only)
            continue
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001  (report every failure at once)
            failures.append(f"{mode.value} {operation.method.upper()} {operation.path}: {exc}")
    assert count >= (15 if pin else 25)
    assert not failures, "\n\n".join(failures)
