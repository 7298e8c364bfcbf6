"""Notices that ask people to act (rules to accept, a relay to approve), sent by e-mail once the change that
calls for them is committed.

The platform has no general notification rows yet (DESIGN.md §4, "Work comes to people"): the work itself is
the row (the rules version nobody in an organisation has accepted, the pending relay request), shown on the
pages where people act on it, and this e-mail only points at it. So a notice lost to a mail server that is
down loses no work: it is logged, and the page still shows what is waiting.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    """The address of a page as recipients reach it (`CEPTOAR_BASE_URL`)."""
    return f"{settings.CEPTOAR_BASE_URL}{path}"


def send_on_commit(addresses: Iterable[str], subject: str, body: str) -> list[str]:
    """Send `subject` and `body` to each address, one message each (no recipient sees another's address),
    after the current transaction commits; nothing is sent if it rolls back. Returns the addresses."""
    recipients = sorted({address.strip() for address in addresses if address and address.strip()})
    if recipients:
        transaction.on_commit(lambda: _send(recipients, subject, body))
    return recipients


def _send(addresses: list[str], subject: str, body: str) -> None:
    messages = [
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
        for address in addresses
    ]
    try:
        with get_connection() as connection:
            connection.send_messages(messages)
    except (OSError, smtplib.SMTPException):
        logger.exception("notice %r to %d addresses not sent", subject, len(addresses))
