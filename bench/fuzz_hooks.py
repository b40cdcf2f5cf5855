"""schemathesis hooks for ``python -m bench.fuzz`` (loaded through ``SCHEMATHESIS_HOOKS``).

* Path parameters point three times in four at data that exists: the projects ``bench.fuzz`` seeds (and
  re-seeds while the run deletes them), small ids, ``latest``, the user ``reader``. Random slugs and
  ids alone answer 404 before any write could race another one.
* The fuzzer would sooner or later revoke its own token (``DELETE /api/v3/tokens/{id}/``) and spend
  the rest of the run on 401s: that one request is sent for a token that does not exist instead.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import strategies as st

OWN_TOKEN_ID = os.environ.get("DOCSHELF_FUZZ_TOKEN_ID", "")
PROJECTS = [slug for slug in os.environ.get("DOCSHELF_FUZZ_PROJECTS", "").split(",") if slug]
EXISTING: dict[str, st.SearchStrategy[Any]] = {
    "version_slug": st.just("latest"),
    "username": st.just("reader"),
    "alias_slug": st.sampled_from(PROJECTS or ["none"]),
}


def _existing(name: str, value: Any) -> st.SearchStrategy[Any]:
    if name == "project_slug" and PROJECTS:
        return st.sampled_from(PROJECTS)
    if name.endswith("_id") and name != "token_id" and isinstance(value, int):
        return st.integers(min_value=1, max_value=4)
    return EXISTING.get(name, st.just(value))


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    if not path_parameters:
        return st.just(path_parameters)
    strategies = {}
    for name, value in path_parameters.items():
        existing = _existing(name, value)
        strategies[name] = st.one_of(existing, existing, existing, st.just(value))
    return st.fixed_dictionaries(strategies)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    parameters = case.path_parameters
    if case.method.upper() == "DELETE" and parameters and str(parameters.get("token_id")) == OWN_TOKEN_ID:
        parameters["token_id"] = 0
