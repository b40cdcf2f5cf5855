"""Email: what Docshelf tells people outside the API (a failed build, an invitation), over SMTP.

Off until ``DOCSHELF_SMTP_HOST`` names a relay. A request or a finishing build only *queues* an email
(:func:`queue_email`, after its own commit, so the job finds the rows); the worker's job
(``workers.mail``) renders it from the rows as they are then (:mod:`app.services.notifications`) and
sends it, so a slow or unreachable relay never holds up a request or a build. An email that cannot be
sent fails its job (kept by RQ for inspection) and is not retried: an email about a build that has
since been fixed would only mislead.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from app.models import User
from app.services import queueing

log = logging.getLogger(__name__)

#: What a queued email is about: a notification row (a failed build) or an invitation row.
NOTIFICATION = "notification"
INVITATION = "invitation"
SMTP_TIMEOUT = 30
TLS_MODES = ("starttls", "ssl", "none")


class MailError(Exception):
    """The relay refused or could not be reached; the job's failure carries the reason."""


def enabled() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def queue_email(kind: str, object_id: int) -> None:
    """Queue one email (a job taking the row's id); never raises, as the caller's work is done."""
    if not enabled():
        return
    try:
        queueing.enqueue_email(kind, object_id)
    except Exception:  # Redis hiccup: an email is worth a log line, not a failed request or build
        log.warning("could not queue the %s email for %s", kind, object_id, exc_info=True)


def addresses(users: list[User]) -> list[str]:
    return sorted({u.email for u in users if u.is_active and u.email})


def compose(to: list[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config.get("EMAIL_FROM") or "Docshelf <docshelf@localhost>"
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="docshelf")
    message.set_content(body + "\n")
    return message


def send(message: EmailMessage) -> None:
    """Hand one message to the configured relay (raises :class:`MailError` when it cannot)."""
    config = current_app.config
    host, port = str(config["SMTP_HOST"]), int(config.get("SMTP_PORT") or 587)
    mode = str(config.get("SMTP_TLS") or "starttls").lower()
    if mode not in TLS_MODES:
        raise MailError(f"DOCSHELF_SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {mode!r}.")
    user, password = config.get("SMTP_USER"), config.get("SMTP_PASSWORD")
    if user and mode == "none":
        raise MailError("SMTP credentials are configured without TLS (DOCSHELF_SMTP_TLS=none); "
                        "Docshelf does not send a password in the clear.")
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP = (smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context)
                              if mode == "ssl" else smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT))
        with smtp:
            if mode == "starttls":
                smtp.starttls(context=context)
            if user:
                smtp.login(str(user), str(password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"The SMTP relay {host}:{port} did not take the email: {exc}") from exc
