"""RQ entry point for email: takes a kind and a row id, renders the email from the row as it is now
(:mod:`app.services.notifications`) and hands it to the SMTP relay (:mod:`app.services.mail`)."""

from __future__ import annotations

from app.services import mail, notifications
from workers.jobs import _app_context


def send_email(kind: str, object_id: int) -> str:
    """``kind`` is a key of :data:`app.services.notifications.EMAILS`; raises when the relay refuses
    (RQ keeps the failed job with the reason)."""
    with _app_context():
        render = notifications.EMAILS.get(kind)
        if render is None:
            raise mail.MailError(f"No email of kind {kind!r}.")
        message = render(object_id)
        if message is None:
            return "nothing to send"
        mail.send(message)
        return f"sent to {message['To']}"
