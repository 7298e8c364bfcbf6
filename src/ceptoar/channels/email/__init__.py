"""E-mail through Django's SMTP backend: one connection per batch, one message per delivery."""

from __future__ import annotations

import contextlib
import smtplib
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from ceptoar.channels import messages
from ceptoar.channels.base import Outgoing, PermanentError, TransientError


def message_id(delivery_id: int) -> str:
    """Stable per delivery, so a message sent twice (a worker died after sending) is recognisably one."""
    domain = urlsplit(settings.CEPTOAR_BASE_URL).hostname or "localhost"
    return f"<delivery-{delivery_id}@{domain}>"


def _classify(error: Exception) -> Exception:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        detail = "; ".join(
            f"{address}: {code} {text!r}" for address, (code, text) in error.recipients.items()
        )
        if codes and all(code >= 500 for code in codes):
            return PermanentError(f"SMTP recipient refused: {detail}")
        return TransientError(f"SMTP recipient deferred: {detail}")
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Our own sender address is refused: the installation is at fault, not the member's mailbox.
        return TransientError(f"SMTP sender refused: {error.smtp_code} {error.smtp_error!r}")
    if isinstance(error, smtplib.SMTPResponseException):
        if error.smtp_code >= 500:
            return PermanentError(f"SMTP {error.smtp_code} {error.smtp_error!r}")
        return TransientError(f"SMTP {error.smtp_code} {error.smtp_error!r}")
    if isinstance(error, smtplib.SMTPException | OSError | socket.timeout):
        return TransientError(f"SMTP connection: {type(error).__name__}: {error}")
    return TransientError(f"{type(error).__name__}: {error}")


class EmailChannel:
    def __init__(self) -> None:
        self._connection = None

    def send(self, outgoing: Outgoing) -> None:
        message = EmailMessage(
            subject=messages.subject(outgoing),
            body=messages.text(outgoing),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[outgoing.address],
            headers={"Message-ID": message_id(outgoing.delivery_id)},
        )
        try:
            if self._connection is None:
                self._connection = get_connection(fail_silently=False)
                self._connection.open()
            self._connection.send_messages([message])
        except Exception as error:
            classified = _classify(error)
            if isinstance(classified, TransientError):
                # The session may be unusable now; the next delivery opens a fresh one.
                self.close()
            raise classified from error

    def close(self) -> None:
        if self._connection is not None:
            # Closing a broken session must not mask the send result.
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
