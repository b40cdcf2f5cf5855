"""Client pieces that a live server cannot easily provoke: RFC 8628 back-off and the TOML writer."""

from __future__ import annotations

import importlib
import tomllib
from typing import Any

from docshelf_client.config import Profile, dump_config
from docshelf_client.http import ApiError
from docshelf_client.output import Ctx

# The package re-exports the ``login`` command under the module's name; fetch the module itself.
login_module = importlib.import_module("docshelf_client.commands.login")


class FakeClient:
    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.profile = Profile("default", "http://127.0.0.1:1", None)

    def request(self, *_args: Any) -> Any:
        answer = self.answers.pop(0)
        if isinstance(answer, ApiError):
            raise answer
        return answer


def test_poll_honours_pending_and_slow_down(monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr(login_module.time, "sleep", sleeps.append)
    client = FakeClient(
        [
            ApiError(400, "pending", {"code": "authorization_pending"}),
            ApiError(400, "slow", {"code": "slow_down", "interval": 7}),
            ApiError(400, "pending", {"code": "authorization_pending"}),
            {"access_token": "tok"},
        ]
    )
    ctx = Ctx(client=client, profile=client.profile, json=False, out=None, err=None)  # type: ignore[arg-type]
    assert login_module.poll_for_token(ctx, "dc", 2, 900) == "tok"
    assert sleeps == [2, 2, 7, 7]


def test_poll_stops_on_denial(monkeypatch):
    monkeypatch.setattr(login_module.time, "sleep", lambda _s: None)
    client = FakeClient([ApiError(400, "The user denied the request.", {"code": "access_denied"})])
    ctx = Ctx(client=client, profile=client.profile, json=False, out=None, err=None)  # type: ignore[arg-type]
    try:
        login_module.poll_for_token(ctx, "dc", 1, 900)
    except ApiError as exc:
        assert exc.detail == "The user denied the request."
    else:  # pragma: no cover
        raise AssertionError("denial must end the login")


def test_toml_round_trip_with_awkward_names():
    config = {
        "default": 'a "b"',
        "servers": {'a "b"': {"url": "http://x/", "token": 'q\\"\n'}, "c.d": {"url": "u"}},
    }
    assert tomllib.loads(dump_config(config)) == config
