"""Acknowledgement of receipt (受領確認): one per recipient organisation, by whichever of its people confirms
first — from the signed link in an e-mail (`alerts.links`), on the portal, by API or recorded from a phone
call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia, Alert, Recipient
from ceptoar.escalation.models import FollowUp
from ceptoar.utilities.bulk import insert_unless_exists


def acknowledge(
    recipient: Recipient,
    via: str,
    by_user=None,
    by_contact_id: int | None = None,
    note: str = "",
    at=None,
) -> tuple[Acknowledgement, bool]:
    """Record the organisation's receipt; returns (acknowledgement, created).

    A second confirmation (another POC, a second click) is not an error: the first one stands and is
    returned, since what counts is when the organisation first had the alert in hand. `at` is when it was
    confirmed, now unless given: a simulated drill (`exercises.simulation`) confirms on its own clock.
    """
    if via not in AcknowledgementVia.values:
        raise ValueError(f"unknown acknowledgement channel {via!r}")
    acknowledgement = Acknowledgement(
        recipient=recipient,
        via=via,
        by_user=by_user,
        by_contact_id=by_contact_id,
        note=note,
        acknowledged_at=at or timezone.now(),
    )
    if not insert_unless_exists(acknowledgement):
        return Acknowledgement.objects.get(recipient_id=recipient.pk), False
    # Its own statement: were it lost (the process killed just before it), the escalation job still skips
    # every step of an organisation that has confirmed receipt (escalation.services._run_steps).
    FollowUp.objects.cancel_on_receipt(recipient.pk)
    return acknowledgement, True


def recipient_of(alert: Alert, user) -> Recipient | None:
    """The user's organisation's Recipient row for this alert, if it was sent to that organisation."""
    if not getattr(user, "is_authenticated", False) or user.organisation_id is None:
        return None
    return Recipient.objects.filter(alert=alert, organisation_id=user.organisation_id).first()


@dataclass
class ReceiptTimes:
    recipient: Recipient
    first_sent_at: object  # datetime | None
    acknowledged_at: object  # datetime | None
    time_to_delivery: timedelta | None
    time_to_acknowledgement: timedelta | None


def receipt_times(alert: Alert) -> list[ReceiptTimes]:
    """Per recipient organisation: when the first message reached one of its points of contact, and when
    it acknowledged, each also as time since publication."""
    recipients = (
        Recipient.objects.filter(alert=alert)
        .select_related("organisation", "acknowledgement")
        .annotate(first_sent_at=Min("deliveries__sent_at"))
        .order_by("organisation__code")
    )
    published = alert.published_at
    rows = []
    for recipient in recipients:
        ack = getattr(recipient, "acknowledgement", None)
        acknowledged_at = ack.acknowledged_at if ack is not None else None
        rows.append(
            ReceiptTimes(
                recipient=recipient,
                first_sent_at=recipient.first_sent_at,
                acknowledged_at=acknowledged_at,
                time_to_delivery=_since(published, recipient.first_sent_at),
                time_to_acknowledgement=_since(published, acknowledged_at),
            )
        )
    return rows


def _since(start, end) -> timedelta | None:
    if start is None or end is None:
        return None
    return end - start
