"""Helpers for the tracking page tests: alerts published by the hub and relayed down the chain in the
relaying organisations' own names, and delivery outcomes set as a worker would leave them. Its own tests
check that the helpers build the chain they claim to."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.alerts.models import AcknowledgementVia, Alert, Recipient
from ceptoar.alerts.services import acknowledgements, drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.models import Delivery, DeliveryStatus
from ceptoar.registry.models import Organisation, OrganisationKind
from ceptoar.sharing.models import Tlp

_ROLE_BY_KIND = {
    OrganisationKind.HUB: Role.HUB_STAFF,
    OrganisationKind.MINISTRY: Role.MINISTRY_LIAISON,
}


def sender_for(code: str) -> User:
    """A member of staff of that organisation who may send and relay alerts in its name."""
    organisation = Organisation.objects.get(code=code)
    user, _created = User.objects.get_or_create(
        username=f"sender-{code}", defaults={"organisation": organisation}
    )
    RoleGrant.objects.get_or_create(user=user, role=_ROLE_BY_KIND.get(organisation.kind, Role.SECRETARIAT))
    return user


def hub_alert(demo_user, tlp: str = Tlp.GREEN, **audience) -> Alert:
    hub = demo_user("demo-hub")
    draft = drafts.create_draft(
        hub,
        title="不正送金マルウェアの新たな亜種について",
        body="対策を確認してください。",
        category="malware",
        severity="high",
        tlp=tlp,
        audience=AudienceSpec(**audience),
    )
    return publication.submit(draft, hub)


def relay_as(parent: Alert, code: str, **audience) -> Alert:
    """`code` relays `parent` to its default audience, or to `audience` (narrower) when given."""
    return publication.relay(
        parent, sender_for(code), audience=AudienceSpec(**audience) if audience else None
    )


def relay_down(alert: Alert, skip: tuple[str, ...] = ()) -> list[Alert]:
    """Every ministry, CEPTOAR, sub-group and relay hub below `alert` relays it with its default audience,
    hop after hop, except those named in `skip` and those that already have. Returns the relays made."""
    made = []
    recipients = Recipient.objects.filter(
        alert=alert,
        organisation__kind__in=(
            OrganisationKind.MINISTRY,
            OrganisationKind.CEPTOAR,
            OrganisationKind.SUBGROUP,
        ),
    ).select_related("organisation")
    for recipient in recipients.order_by("organisation__code"):
        if recipient.organisation.code in skip:
            continue
        relay = Alert.objects.filter(parent=alert, origin_organisation=recipient.organisation).first()
        if relay is None:
            relay = relay_as(alert, recipient.organisation.code)
            made.append(relay)
        made += relay_down(relay, skip)
    return made


def chain_ids(alert: Alert) -> list[int]:
    """Every alert of the chain `alert` belongs to: the original and all its relays."""
    root = alert.root or alert
    return [root.pk, *root.descendants.values_list("pk", flat=True)]


def recipient(alert: Alert, code: str) -> Recipient:
    """The organisation's Recipient row in the chain of `alert` (the one hop at which it was sent it)."""
    return Recipient.objects.get(alert_id__in=chain_ids(alert), organisation__code=code)


def messages_of(alert_ids, codes):
    """The deliveries that carry the alert to people of these organisations."""
    return Delivery.objects.filter(alert_id__in=alert_ids, recipient__organisation__code__in=codes)


def mark_sent(alert_ids, codes, after: timedelta = timedelta(seconds=10)) -> int:
    """The worker sent every message to these organisations `after` their alert's publication."""
    count = 0
    for delivery in messages_of(alert_ids, codes).select_related("alert"):
        delivery.status, delivery.attempts = DeliveryStatus.SENT, 1
        delivery.sent_at = delivery.alert.published_at + after
        delivery.save(update_fields=["status", "attempts", "sent_at"])
        count += 1
    return count


def mark_failed(alert_ids, codes) -> int:
    return messages_of(alert_ids, codes).update(
        status=DeliveryStatus.FAILED_PERMANENT, attempts=8, last_error="550 5.1.1 No such user here"
    )


def acknowledge(
    alert: Alert, code: str, via: str = AcknowledgementVia.PORTAL, after: timedelta | None = None
):
    """`code` confirms receipt of whichever alert of the chain reached it; `after` dates the receipt that
    long after that alert's publication."""
    row = recipient(alert, code)
    acknowledgement, created = acknowledgements.acknowledge(row, via)
    assert created
    if after is not None:
        acknowledgement.acknowledged_at = row.alert.published_at + after
        acknowledgement.save(update_fields=["acknowledged_at"])
    return acknowledgement


@pytest.mark.django_db
def test_relay_down_builds_hub_ministry_ceptoar_member_hops(demo_user):
    original = hub_alert(demo_user, ceptoars=["gas", "aviation"])
    relays = relay_down(original)
    senders = sorted(relay.origin_organisation.code for relay in relays)
    assert senders == ["aviation", "gas", "meti", "mlit"]
    gas_relay = next(relay for relay in relays if relay.origin_organisation.code == "gas")
    assert gas_relay.root == original and gas_relay.parent.origin_organisation.code == "meti"
    assert Recipient.objects.filter(alert=gas_relay).count() == 10
    assert recipient(original, "gas-0001").alert == gas_relay


@pytest.mark.django_db
def test_mark_sent_dates_each_message_after_its_own_alert(demo_user):
    original = hub_alert(demo_user, ceptoars=["gas"])
    relays = relay_down(original)
    count = mark_sent(chain_ids(original), ["gas-0001"], after=timedelta(seconds=42))
    assert count >= 1
    for delivery in messages_of(chain_ids(original), ["gas-0001"]).select_related("alert"):
        assert delivery.status == DeliveryStatus.SENT
        assert delivery.sent_at - delivery.alert.published_at == timedelta(seconds=42)
        assert delivery.alert == relays[-1]
