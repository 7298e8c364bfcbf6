"""Keeping points of contact verified: marking one checked today, or flagging some for verification again."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ceptoar.registry.models import Contact


def flag_for_reverification(contacts: QuerySet[Contact], reason: str, now=None) -> int:
    """Put these contacts on the freshness page with `reason` until someone verifies them; returns how many
    were flagged. A reason already recorded is kept: the first finding is what the secretariat follows."""
    now = now or timezone.now()
    return contacts.filter(reverification_requested_at__isnull=True).update(
        reverification_reason=reason[:300], reverification_requested_at=now
    )


@transaction.atomic
def mark_contact_verified(contact: Contact, today: datetime.date | None = None) -> Contact:
    contact.last_verified_on = today or timezone.localdate()
    contact.reverification_reason, contact.reverification_requested_at = "", None
    contact.save(update_fields=["last_verified_on", "reverification_reason", "reverification_requested_at"])
    return contact
