"""Acknowledgement of receipt (受領確認): one per recipient organisation, by whichever of its people confirms
first — from the signed link in an e-mail (`alerts.links`), on the portal, by API or recorded from a phone
call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from ceptoar.accounts import access
from ceptoar.alerts.models import (
    Acknowledgement,
    AcknowledgementVia,
    Alert,
    Recipient,
    RelayApproval,
    RelayApprovalStatus,
    Status,
)
from ceptoar.escalation.models import FollowUp
from ceptoar.registry.models import OrganisationKind
from ceptoar.sharing import policy
from ceptoar.utilities.bulk import insert_unless_exists

# Organisations that pass what they receive on down the chain: a ministry to its CEPTOARs, a CEPTOAR to its
# members and relay hubs, a relay hub to the members it serves. The hub sends originals; a member reports up.
RELAYING_KINDS = (OrganisationKind.MINISTRY, OrganisationKind.CEPTOAR, OrganisationKind.SUBGROUP)


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


# -- what our organisation still owes: receipts and relays -----------------------------------------------
#
# "Ours" is the reader's organisation's Recipient row, as on the alert's page (`recipient_of`), where the
# receipt is confirmed. Only open (published) alerts are owed: a closed one asks nothing more. Every list
# starts from `sharing.policy.visible_alerts`, so nothing is counted that the reader may not open.


def _unacknowledged_here(user, alert_ref) -> Exists:
    return Exists(
        Recipient.objects.filter(
            alert_id=alert_ref, organisation_id=user.organisation_id, acknowledgement__isnull=True
        )
    )


def awaiting_acknowledgement(user, queryset: QuerySet | None = None) -> QuerySet[Alert]:
    """Open alerts sent to the user's organisation whose receipt it has not confirmed."""
    if not access.is_active_member(user):
        return Alert.objects.none() if queryset is None else queryset.none()
    return policy.visible_alerts(user, queryset).filter(
        _unacknowledged_here(user, OuterRef("pk")), status=Status.PUBLISHED
    )


def awaiting_acknowledgement_in_chain(user) -> Q:
    """The inbox's "not yet acknowledged" filter: an inbox row is one chain of relays at the hop nearest the
    reader (`policy.nearest_visible_alerts`), which need not be the alert our organisation received (a
    CEPTOAR sees its own relay, not the ministry's it acknowledges): the row's whole chain is asked."""
    chain = Coalesce(OuterRef("root_id"), OuterRef("pk"))
    owed = Recipient.objects.filter(
        Q(alert_id=chain) | Q(alert__root_id=chain),
        organisation_id=user.organisation_id,
        acknowledgement__isnull=True,
        alert__status=Status.PUBLISHED,
    )
    return Q(Exists(owed), status=Status.PUBLISHED)


def next_unacknowledged(user, after: Alert | None = None) -> Alert | None:
    """The oldest open alert our organisation has not acknowledged, other than `after` (the one being read):
    where the "next unacknowledged" link leads."""
    alerts = awaiting_acknowledgement(user)
    if after is not None:
        alerts = alerts.exclude(pk=after.pk)
    return alerts.order_by(F("published_at").asc(nulls_last=True), "pk").only("pk").first()


@dataclass(frozen=True)
class OurReceipt:
    """Our organisation's receipt of one inbox row's chain: None for `acknowledged_at` while it is owed."""

    acknowledged_at: object  # datetime | None
    by: str
    via: str


def our_receipts(user, alerts) -> dict[int, OurReceipt]:
    """For the inbox rows `alerts` (a page): our organisation's receipt of each row's chain, keyed by the
    row's id; rows of chains we were not sent are absent. One query, whatever the page's length."""
    if not access.is_active_member(user):
        return {}
    chain_of = {alert.pk: alert.root_id or alert.pk for alert in alerts}
    if not chain_of:
        return {}
    chains = set(chain_of.values())
    rows = (
        Recipient.objects.filter(Q(alert_id__in=chains) | Q(alert__root_id__in=chains))
        .filter(organisation_id=user.organisation_id)
        .select_related("alert", "acknowledgement__by_user", "acknowledgement__by_contact")
        .order_by("created_at", "pk")
    )
    by_chain: dict[int, OurReceipt] = {}
    for row in rows:
        chain = row.alert.root_id or row.alert_id
        ack = getattr(row, "acknowledgement", None)
        receipt = OurReceipt(
            acknowledged_at=ack.acknowledged_at if ack else None,
            by=_acknowledged_by(ack) if ack else "",
            via=ack.get_via_display() if ack else "",
        )
        # A receipt still owed on any alert of the chain is what the row shows: it is the one to act on.
        if chain not in by_chain or receipt.acknowledged_at is None:
            by_chain[chain] = receipt
    return {pk: by_chain[chain] for pk, chain in chain_of.items() if chain in by_chain}


def _acknowledged_by(ack: Acknowledgement) -> str:
    if ack.by_user is not None:
        return str(ack.by_user)
    if ack.by_contact is not None:
        return ack.by_contact.name
    return ""


def relays_down_the_chain(user) -> bool:
    """Whether the user sends alerts for an organisation that passes what it receives on."""
    return access.can_send_alerts(user) and user.organisation.kind in RELAYING_KINDS


def awaiting_relay(user, queryset: QuerySet | None = None) -> QuerySet[Alert]:
    """Open alerts sent to the user's organisation that it is expected to pass on and has not: it relays
    down the chain (`RELAYING_KINDS`), the sender did not forbid onward relay, no relay of ours is published
    or awaiting approval, and no request of ours to relay it waits on the originator."""
    if not relays_down_the_chain(user):
        return Alert.objects.none() if queryset is None else queryset.none()
    mine = user.organisation_id
    ours_sent = Alert.objects.filter(
        parent_id=OuterRef("pk"),
        origin_organisation_id=mine,
        status__in=(Status.AWAITING_APPROVAL, Status.PUBLISHED, Status.CLOSED),
    )
    asked = RelayApproval.objects.filter(
        parent_id=OuterRef("pk"), asking_organisation_id=mine, status=RelayApprovalStatus.PENDING
    )
    return (
        policy.visible_alerts(user, queryset)
        .filter(
            Exists(Recipient.objects.filter(alert_id=OuterRef("pk"), organisation_id=mine)),
            status=Status.PUBLISHED,
            no_onward_relay=False,
        )
        .exclude(Exists(ours_sent))
        .exclude(Exists(asked))
    )
