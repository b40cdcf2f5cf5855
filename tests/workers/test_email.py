"""Email notifications against a real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives:
a failed build to the project's maintainers, an invitation to the invitee, sent by the worker."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.extensions import DEFAULT_QUEUE, get_queue
from app.models import Build, Invitation
from app.services import mail
from tests import factories
from tests.workers.conftest import Repo, fresh, work
from tests.workers.test_end_to_end import trigger

BROKEN_CONF = "raise RuntimeError('conf.py is broken on purpose')\n"


@dataclass
class Received:
    """What the SMTP server was given: envelope recipients and the parsed message, per email."""

    emails: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.emails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(app, monkeypatch) -> Iterator[Received]:
    """A real SMTP server on 127.0.0.1, and Docshelf's email pointed at it (plain SMTP, no login)."""
    received = Received()
    controller = Controller(received, hostname="127.0.0.1", port=_free_port())
    controller.start()
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port, "SMTP_TLS": "none",
                        "EMAIL_FROM": "Docshelf <builds@docshelf.test>"}.items():
        monkeypatch.setitem(app.config, name, value)
    yield received
    controller.stop()


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_a_failed_build_is_emailed_to_the_maintainers(client, user, headers, make_repo, smtp):
    quiet = factories.UserFactory(username="quiet", email=None)  # a maintainer without an address
    repo: Repo = make_repo({"docs/conf.py": BROKEN_CONF, "docs/index.rst": "Broken\n======\n"})
    factories.ProjectFactory(name="Broken", slug="broken", repository_url=repo.url, maintainers=[user, quiet])
    build_id = trigger(client, headers, "broken", "latest")
    work()  # the build, then the email job it queued
    build = fresh(build_id)
    assert build.success is False and build.error.startswith("Building html failed (exit code 2)")
    [(recipients, message)] = smtp.emails
    assert recipients == ["alice@example.com"] and message["To"] == "alice@example.com"
    assert message["From"] == "Docshelf <builds@docshelf.test>"
    assert message["Subject"] == f"[broken] Build {build_id} failed"
    body = _body(message)
    assert build.error in body and "conf.py is broken on purpose" in body  # the cause, not just "failed"
    assert f"http://localhost/api/v3/projects/broken/builds/{build_id}/log.txt" in body
    assert "version latest" in body


def test_an_invitation_is_emailed_to_the_invitee(client, user, headers, smtp):
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    factories.UserFactory(username="bob")
    response = client.post("/api/v3/projects/pip/invitations/", json={"username": "bob"}, headers=headers)
    assert response.status_code == 201, response.json
    assert smtp.emails == []  # the request only queued it
    work()
    invitation = Invitation.query.one()
    [(recipients, message)] = smtp.emails
    assert recipients == ["bob@example.com"]
    assert message["Subject"] == "Invitation to maintain Pip on Docshelf"
    body = _body(message)
    assert "alice invites you to maintain the project Pip (pip)" in body
    assert f"http://localhost/api/v3/invitations/{invitation.id}/" in body and "signed in as bob" in body


def test_a_cancelled_build_sends_nothing(client, user, headers, sphinx_repo, smtp):
    factories.ProjectFactory(name="Fine", slug="fine", repository_url=sphinx_repo.url, maintainers=[user])
    build_id = trigger(client, headers, "fine", "latest")
    assert client.post(f"/api/v3/projects/fine/builds/{build_id}/cancel/", headers=headers).status_code < 300
    work()
    assert fresh(build_id).state == "cancelled" and smtp.emails == []


def test_email_is_off_by_default(app, client, user, headers, make_repo):
    assert not app.config["SMTP_HOST"]
    repo: Repo = make_repo({"docs/conf.py": BROKEN_CONF, "docs/index.rst": "Broken\n======\n"})
    factories.ProjectFactory(name="Broken", slug="broken", repository_url=repo.url, maintainers=[user])
    trigger(client, headers, "broken", "latest")
    work()
    assert Build.query.one().success is False
    assert get_queue(DEFAULT_QUEUE).count == 0 and len(get_queue(DEFAULT_QUEUE).finished_job_registry) == 0


def test_a_password_is_never_sent_in_the_clear(app, monkeypatch):
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": _free_port(), "SMTP_TLS": "none",
                        "SMTP_USER": "docshelf", "SMTP_PASSWORD": "secret"}.items():
        monkeypatch.setitem(app.config, name, value)
    with pytest.raises(mail.MailError, match="without TLS"):
        mail.send(mail.compose(["a@example.com"], "s", "b"))


def test_an_unreachable_relay_fails_the_email_job_not_the_build(app, client, user, headers, make_repo,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", _free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "SMTP_TLS", "none")
    repo: Repo = make_repo({"docs/conf.py": BROKEN_CONF, "docs/index.rst": "Broken\n======\n"})
    factories.ProjectFactory(name="Broken", slug="broken", repository_url=repo.url, maintainers=[user])
    build_id = trigger(client, headers, "broken", "latest")
    work()
    assert fresh(build_id).state == "finished"
    queue = get_queue(DEFAULT_QUEUE)
    [job_id] = queue.failed_job_registry.get_job_ids()
    job = queue.fetch_job(job_id)
    assert job is not None and job.func_name == "workers.mail.send_email"
    result = job.latest_result()
    assert result is not None and "did not take the email" in str(result.exc_string)
