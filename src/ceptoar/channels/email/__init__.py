"""E-mail through Django's SMTP backend: one connection per batch, one message per delivery."""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
from dataclasses import dataclass
from email.utils import formatdate
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from ceptoar.channels.base import Message, PermanentError, PipelinedChannel, TransientError
from ceptoar.channels.models import FailureCause
from ceptoar.sharing.policy import ChannelTrust, Disclosure


def message_id(delivery_id: int) -> str:
    """Stable per delivery, so a message sent twice (a worker died after sending) is recognisably one."""
    return f"<delivery-{delivery_id}@{_domain(settings.CEPTOAR_BASE_URL)}>"


@lru_cache(maxsize=4)
def _domain(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def _classify(error: Exception) -> Exception:
    # Only an answer about the recipient's address is the member's channel's fault; anything else comes from
    # the platform's own relay (or the connection to it) and never marks a channel broken.
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        detail = "; ".join(
            f"{address}: {code} {text!r}" for address, (code, text) in error.recipients.items()
        )
        if codes and all(code >= 500 for code in codes):
            return PermanentError(f"SMTP recipient refused: {detail}", cause=FailureCause.MAILBOX_REFUSED)
        return TransientError(f"SMTP recipient deferred: {detail}", cause=FailureCause.MAIL_DEFERRED)
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Our own sender address is refused: the installation is at fault, not the member's mailbox.
        return TransientError(
            f"SMTP sender refused: {error.smtp_code} {error.smtp_error!r}",
            cause=FailureCause.MAIL_RELAY,
            channel_broken=False,
        )
    if isinstance(error, smtplib.SMTPResponseException):
        if error.smtp_code >= 500:
            return PermanentError(f"SMTP {error.smtp_code} {error.smtp_error!r}", cause=FailureCause.REJECTED)
        return TransientError(
            f"SMTP {error.smtp_code} {error.smtp_error!r}",
            cause=FailureCause.MAIL_DEFERRED,
            channel_broken=False,
        )
    if isinstance(error, smtplib.SMTPException | OSError | socket.timeout):
        return TransientError(
            f"SMTP connection: {type(error).__name__}: {error}",
            cause=FailureCause.MAIL_RELAY,
            channel_broken=False,
        )
    return TransientError(f"{type(error).__name__}: {error}", channel_broken=False)


# An address that needs no encoding can be put into a message made for another address byte for byte.
_PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+$")
_TEMPLATE_ADDRESS = "recipient@template.invalid"


@dataclass(frozen=True)
class _Template:
    """One alert's message as bytes, made once per batch; each delivery differs only in these parts."""

    raw: bytes
    # The recipient's own parts (`Content.personal`: its acknowledgement link), as in `raw`.
    personal: tuple[bytes, ...]
    message_id: bytes
    date: bytes


class EmailChannel(PipelinedChannel):
    """Most of an e-mail is the same for every recipient of an alert: the message is built once per
    template key (`Content.template_key`: alert, disclosure, escalation step) and each delivery substitutes
    its address, Message-ID, Date and personal parts (its acknowledgement link). Anything that would not
    substitute cleanly is built in full."""

    # The organisation's own mailboxes: trusted with the full text.
    trust = ChannelTrust(most=Disclosure.FULL)

    def __init__(self) -> None:
        # Only send() waits on the server from the batch's own thread; a batch sending through transmit()
        # writes down what it has sent while its sending thread waits (services.sending._SendingThread).
        super().__init__()
        self._connection = None
        self._smtp: bool | None = None
        self._templates: dict[object, _Template | None] = {}

    def _message(self, message: Message, address: str) -> EmailMessage:
        """The plain text, and beside it as multipart/alternative the HTML where the content has one."""
        content = message.content
        html = content.html
        email = (EmailMultiAlternatives if html else EmailMessage)(
            subject=content.subject,
            body=content.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"Message-ID": message_id(message.delivery_id), "Date": formatdate(localtime=True)},
        )
        if html:
            email.attach_alternative(html, "text/html")
        return email

    def _template(self, message: Message) -> _Template | None:
        key = message.content.template_key
        if key not in self._templates:
            email = self._message(message, _TEMPLATE_ADDRESS)
            raw = email.message().as_bytes(linesep="\r\n")
            parts = _Template(
                raw=raw,
                personal=tuple(part.encode() for part in message.content.personal),
                message_id=email.extra_headers["Message-ID"].encode(),
                date=email.extra_headers["Date"].encode(),
            )
            unique = [_TEMPLATE_ADDRESS.encode(), parts.message_id, parts.date]
            # A personal part may stand in the text and in the HTML: it must stand in the message exactly
            # as often as in them, written out as it is (not encoded, not folded).
            written = message.content.text + message.content.html
            clean = all(raw.count(part) == 1 for part in unique) and all(
                raw.count(encoded) == written.count(part) > 0
                for part, encoded in zip(message.content.personal, parts.personal, strict=True)
            )
            self._templates[key] = parts if clean else None
        return self._templates[key]

    def _raw(self, message: Message) -> bytes:
        template = self._template(message) if _PLAIN_ADDRESS.match(message.address) else None
        if template is None:
            return self._message(message, message.address).message().as_bytes(linesep="\r\n")
        raw = (
            template.raw.replace(_TEMPLATE_ADDRESS.encode(), message.address.encode())
            .replace(template.message_id, message_id(message.delivery_id).encode())
            .replace(template.date, formatdate(localtime=True).encode())
        )
        for theirs, ours in zip(template.personal, message.content.personal, strict=True):
            raw = raw.replace(theirs, ours.encode())
        return raw

    def prepare(self, message: Message) -> tuple[str, bytes | EmailMessage]:
        """Everything but the network: the message as it will go out. The batch does this on its own thread
        while the previous message is on its way (services.sending._SendingThread); it reads the database,
        if at all, on that thread."""
        if self._smtp is None:
            self._smtp = isinstance(get_connection(fail_silently=False), SmtpBackend)
        try:
            if self._smtp:
                return message.address, self._raw(message)
            # Another mail backend (tests' in-memory outbox, a file): it takes the whole message.
            return message.address, self._message(message, message.address)
        except Exception as error:
            raise _classify(error) from error

    def transmit(self, prepared: tuple[str, bytes | EmailMessage]) -> None:
        """Hand a prepared message to the mail server; safe on a thread other than the batch's."""
        address, message = prepared
        try:
            if self._connection is None:
                self._connection = get_connection(fail_silently=False)
                self._connection.open()
            if isinstance(message, bytes):
                self._connection.connection.sendmail(settings.DEFAULT_FROM_EMAIL, [address], message)
            else:
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
