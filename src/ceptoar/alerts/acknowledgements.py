"""Acknowledgement of receipt (受領確認): one per recipient organisation, by whichever of its people confirms
first — from the signed link in an e-mail, on the portal, by API or recorded from a phone call.

The e-mail link carries a signed delivery id: the delivery names the alert, the recipient organisation and
the point of contact it was sent to, so the link needs no log-in and proves which address it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.db.models import Min
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia, Alert, Recipient
from ceptoar.channels.models import Delivery
from ceptoar.core.bulk import insert_unless_exists
from ceptoar.core.prepared import PreparedValues
from ceptoar.registry.models import Organisation

_SALT = "ceptoar.ack"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def make_ack_token(delivery_id: int) -> str:
    return _signer().sign(str(delivery_id))


_TOKEN_SLOT = "TOKEN"  # noqa: S105 - where the signed token goes, not a secret


@lru_cache(maxsize=16)
def _ack_url_template(base_url: str, script_prefix: str) -> str:
    return base_url + reverse("alerts:ack_link", args=[_TOKEN_SLOT])


def ack_url_for(delivery_id: int) -> str:
    # Reversing the route for each of thousands of e-mails cost more than signing the token.
    template = _ack_url_template(settings.CEPTOAR_BASE_URL, get_script_prefix())
    return template.replace(_TOKEN_SLOT, make_ack_token(delivery_id))


class ForgedLink(Exception):
    """The link was not made by this installation, or was altered."""


class ExpiredLink(Exception):
    """The link is genuine but older than CEPTOAR_ACK_LINK_MAX_AGE_DAYS."""


# Each link is one click of thousands after an alert: the look-up's SQL is built once.
_LINK_TARGET = PreparedValues(
    lambda delivery_id: (
        Delivery.objects.filter(pk=delivery_id, recipient__isnull=False)
        .order_by()  # not the default ordering, which joins the alert again
        .values_list(
            "contact_id",
            "alert_id",
            "alert__title",
            "alert__tlp",
            "alert__body",
            "alert__status",
            "recipient_id",
            "recipient__organisation_id",
            "recipient__organisation__name",
        )[:1]
    )
)


def _loaded(model, **values):
    # `from_db` takes the values in the model's field order.
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db("default", names, [values[name] for name in names])


def delivery_for_token(token: str) -> Delivery:
    """The delivery a link was made for, or ForgedLink / ExpiredLink."""
    max_age = timedelta(days=settings.CEPTOAR_ACK_LINK_MAX_AGE_DAYS)
    try:
        value = _signer().unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise ExpiredLink from None
    except signing.BadSignature:
        raise ForgedLink from None
    try:
        delivery_id = int(value)
    except ValueError:
        raise ForgedLink from None
    row = _LINK_TARGET.first(delivery_id)
    if row is None:
        # Signed by us, but for nothing an organisation can acknowledge (gone, or a RED notice to a person).
        raise ForgedLink
    contact_id, alert_id, title, tlp, body, status, recipient_id, organisation_id, organisation_name = row
    # Only what the link page shows and records; the other fields are deferred, as with `.only()`.
    alert = _loaded(Alert, id=alert_id, title=title, tlp=tlp, body=body, status=status)
    organisation = _loaded(Organisation, id=organisation_id, name=organisation_name)
    recipient = _loaded(Recipient, id=recipient_id, alert_id=alert_id, organisation_id=organisation_id)
    recipient.alert, recipient.organisation = alert, organisation
    delivery = _loaded(
        Delivery, id=delivery_id, alert_id=alert_id, recipient_id=recipient_id, contact_id=contact_id
    )
    delivery.alert, delivery.recipient = alert, recipient
    return delivery


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
    # Imported here: escalation builds on this module (it confirms receipt for phone calls).
    from ceptoar.escalation.services import cancel_pending

    # Its own statement: were it lost (the process killed just before it), the escalation job still skips
    # every step of an organisation that has confirmed receipt (escalation.services._run_steps).
    cancel_pending(recipient)
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
