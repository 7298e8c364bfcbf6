"""Sub-groups and relay hubs as hops of their own (issue 15): a CEPTOAR's alert goes to the members it reaches
directly and to the hubs through which it reaches the others; each hub confirms receipt and relays to its
members, by its standing rule or by hand; tracking and escalation treat it like any recipient organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ceptoar.alerts import hops
from ceptoar.alerts.models import AcknowledgementVia, Alert, Recipient, RelayRule
from ceptoar.alerts.services import acknowledgements, publication
from ceptoar.channels.models import Delivery, DeliveryKind
from ceptoar.escalation import services as escalation
from ceptoar.escalation.models import FollowUp, FollowUpState, Step
from ceptoar.registry.models import ContactRole, Membership, Organisation, OrganisationKind
from ceptoar.sharing import policy
from tests.alerts.test_tracking_support import hub_alert, relay_as, sender_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

WATER_HUBS = {
    "water-hub-president",
    "water-hub-hokkaido",
    "water-hub-tohoku",
    "water-hub-kanto",
    "water-hub-chubu",
    "water-hub-kansai",
    "water-hub-chushikoku",
    "water-hub-kyushu",
}


def _codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


def _recipient_codes(alert: Alert) -> set[str]:
    return set(Recipient.objects.filter(alert=alert).values_list("organisation__code", flat=True))


def water_relay(demo_user, **audience) -> Alert:
    """The hub's alert to water (or to `audience`), relayed by the ministry and then by the water CEPTOAR."""
    original = hub_alert(demo_user, **(audience or {"ceptoars": ["water"]}))
    return relay_as(relay_as(original, "mhlw"), "water")


def test_a_water_ceptoar_alert_goes_to_its_8_hub_cities_and_to_none_of_their_members(demo_user):
    relay = water_relay(demo_user)
    recipients = Recipient.objects.filter(alert=relay)
    assert _recipient_codes(relay) == WATER_HUBS
    assert not recipients.filter(organisation__kind=OrganisationKind.MEMBER).exists()
    # Each hub got its own deliveries and its own escalation schedule, as any recipient does.
    for row in recipients:
        assert Delivery.objects.filter(recipient=row, kind=DeliveryKind.EMAIL).exists(), row.organisation
        assert FollowUp.objects.filter(recipient=row, step=Step.BACKUP, state=FollowUpState.PENDING).exists()
    # The hubs see what they were sent, so they can relay it; their members have it from the hub only.
    hub_staff = sender_for("water-hub-kanto")
    assert policy.may_see(hub_staff, relay)


def test_members_reached_directly_are_recipients_beside_the_hubs(demo_user):
    direct = Membership.objects.filter(ceptoar__code="water", via__code="water-hub-kyushu")
    direct_codes = set(direct.values_list("member__code", flat=True))
    direct.update(via=None)  # the Kyushu hub city's members are now reached by the CEPTOAR itself
    relay = water_relay(demo_user)
    assert _recipient_codes(relay) == (WATER_HUBS - {"water-hub-kyushu"}) | direct_codes
    assert len(direct_codes) == 108


def test_only_hubs_with_a_member_in_the_audience_are_sent_to_in_one_query(demo_user):
    kanto_member = Membership.objects.filter(via__code="water-hub-kanto").order_by("member__code").first()
    codes = ["water-0001", kanto_member.member.code]  # water-0001 is reached through the president city
    relay = water_relay(demo_user, organisations=codes)
    # The chain's hop is one query; the parties beyond the chain (none here) are asked apart (alerts.lateral).
    with CaptureQueriesContext(connection) as queries:
        found = _codes(hops.chain_recipients(relay))
    assert found == {"water-hub-president", "water-hub-kanto"}
    assert len(queries.captured_queries) == 1
    assert _codes(hops.next_hop_recipients(relay)) == found
    assert _recipient_codes(relay) == found


def test_t_ceptoar_reaches_its_members_through_sg1_to_sg4(demo_user):
    telecom = relay_as(relay_as(hub_alert(demo_user, ceptoars=["t-ceptoar"]), "mic"), "t-ceptoar")
    assert _recipient_codes(telecom) == {"t-ceptoar-sg1", "t-ceptoar-sg2", "t-ceptoar-sg3", "t-ceptoar-sg4"}
    sg2 = relay_as(telecom, "t-ceptoar-sg2")
    members = set(Membership.objects.filter(via__code="t-ceptoar-sg2").values_list("member__code", flat=True))
    assert _recipient_codes(sg2) == members and len(members) == 8
    # Its relay names the sub-group (it reaches all its members), not 8 organisations one by one.
    assert list(sg2.audience.subgroups.values_list("code", flat=True)) == ["t-ceptoar-sg2"]
    assert not sg2.audience.organisations.exists()


def test_a_hubs_default_relay_names_its_members_in_the_audience_one_by_one_when_not_all_are(demo_user):
    kanto = Membership.objects.filter(via__code="water-hub-kanto").order_by("member__code")
    chosen = list(kanto.values_list("member__code", flat=True)[:3])
    relay = water_relay(demo_user, organisations=[*chosen, "water-0001"])
    hub = Organisation.objects.get(code="water-hub-kanto")
    spec = publication.default_relay_audience(hub, relay)
    assert sorted(spec.organisations) == sorted(chosen) and not spec.subgroups
    # The hub was not in the audience itself: it passes the alert on, and reaches exactly those three.
    kanto_relay = relay_as(relay, "water-hub-kanto")
    assert _recipient_codes(kanto_relay) == set(chosen)


def test_the_hubs_standing_rules_relay_to_their_members_with_lineage_and_receipts_per_hop(
    demo_user, django_capture_on_commit_callbacks
):
    original = hub_alert(demo_user, ceptoars=["water"])
    ministry = relay_as(original, "mhlw")
    with django_capture_on_commit_callbacks(execute=True):
        water = relay_as(ministry, "water")
    hub_relays = Alert.objects.filter(parent=water).select_related("origin_organisation")
    assert {relay.origin_organisation.code for relay in hub_relays} == WATER_HUBS
    for relay in hub_relays:
        assert relay.relayed_automatically and relay.root == original and relay.hop == 3
        members = Membership.objects.filter(via=relay.origin_organisation).values_list(
            "member__code", flat=True
        )
        assert _recipient_codes(relay) == set(members)
    kanto = hub_relays.get(origin_organisation__code="water-hub-kanto")
    assert Recipient.objects.filter(alert=kanto).count() == 330
    # Every member was reached once, under its own hub's relay.
    reached = Recipient.objects.filter(alert__in=hub_relays)
    assert reached.count() == Membership.objects.filter(ceptoar__code="water").count() == 1393
    assert (
        reached.get(organisation__code="water-0001").alert.origin_organisation.code == "water-hub-president"
    )

    # A receipt per hop: the hub confirms what the CEPTOAR sent it, its member what the hub relayed.
    hub_receipt = Recipient.objects.get(alert=water, organisation__code="water-hub-kanto")
    acknowledgements.acknowledge(
        hub_receipt, AcknowledgementVia.PORTAL, by_user=sender_for("water-hub-kanto")
    )
    member_row = Recipient.objects.filter(alert=kanto).order_by("organisation__code").first()
    acknowledgements.acknowledge(member_row, AcknowledgementVia.EMAIL_LINK)
    assert FollowUp.objects.get(recipient=hub_receipt, step=Step.BACKUP).state == FollowUpState.CANCELLED
    assert not Recipient.objects.filter(alert=water, organisation=member_row.organisation).exists()
    # The hub's member reads the hub's relay, with its note, as the nearest hop of the chain.
    member = sender_for(member_row.organisation.code)
    assert list(policy.nearest_visible_alerts(member).filter(root=original)) == [kanto]


def test_a_hub_without_an_active_rule_waits_for_its_people(demo_user, django_capture_on_commit_callbacks):
    RelayRule.objects.filter(organisation__code="water-hub-kanto").update(is_active=False)
    original = hub_alert(demo_user, ceptoars=["water"])
    ministry = relay_as(original, "mhlw")
    with django_capture_on_commit_callbacks(execute=True):
        water = relay_as(ministry, "water")
    relayers = set(Alert.objects.filter(parent=water).values_list("origin_organisation__code", flat=True))
    assert relayers == WATER_HUBS - {"water-hub-kanto"}


def test_a_hubs_person_relays_by_hand_from_the_portal(client_as, demo_user):
    water = water_relay(demo_user)
    client = client_as("demo-relay-hub")
    page = client.get(reverse("alerts:relay", args=[water.pk]))
    assert page.status_code == 200
    assert page.context["form"].initial.get("subgroups") == ["water-hub-kanto"]
    data = {"note": "関東地方の会員へ", "tlp": water.tlp, "subgroups": ["water-hub-kanto"]}
    preview = client.post(reverse("alerts:relay", args=[water.pk]), data)
    assert preview.status_code == 200 and preview.context["preview"].delivered == 330
    data["token"] = preview.context["preview"].token
    response = client.post(reverse("alerts:relay", args=[water.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    relay = Alert.objects.get(parent=water, origin_organisation__code="water-hub-kanto")
    assert relay.author == demo_user("demo-relay-hub") and not relay.relayed_automatically
    assert Recipient.objects.filter(alert=relay).count() == 330
    # Not twice.
    assert client.get(reverse("alerts:relay", args=[water.pk])).status_code == 409


def test_an_unacknowledged_hub_is_escalated_like_any_recipient(demo_user):
    water = water_relay(demo_user)
    confirmed = Recipient.objects.get(alert=water, organisation__code="water-hub-president")
    acknowledgements.acknowledge(confirmed, AcknowledgementVia.PORTAL)
    # The chain above (the ministry and the CEPTOAR) has not confirmed either: 2 more steps are due.
    ran = escalation.run_due_follow_ups(now=water.published_at + timedelta(minutes=31))
    assert ran == len(WATER_HUBS) - 1 + 2
    done = FollowUp.objects.filter(recipient__alert=water, step=Step.BACKUP, state=FollowUpState.DONE)
    assert done.count() == len(WATER_HUBS) - 1
    backups = Delivery.objects.filter(alert=water, escalation_step=Step.BACKUP)
    assert set(backups.values_list("recipient__organisation__code", flat=True)) == WATER_HUBS - {
        "water-hub-president"
    }
    assert set(backups.values_list("contact__role", flat=True)) == {ContactRole.BACKUP}


def test_tracking_shows_the_hubs_receipts_then_their_members_under_each_hubs_relay(
    client_as, demo_user, django_capture_on_commit_callbacks
):
    RelayRule.objects.filter(organisation__code="water-hub-kanto").update(is_active=False)
    original = hub_alert(demo_user, ceptoars=["water"])
    ministry = relay_as(original, "mhlw")
    with django_capture_on_commit_callbacks(execute=True):
        water = relay_as(ministry, "water")
    kansai = Recipient.objects.get(alert=water, organisation__code="water-hub-kansai")
    acknowledgements.acknowledge(kansai, AcknowledgementVia.PORTAL)
    kansai_relay = Alert.objects.get(parent=water, origin_organisation__code="water-hub-kansai")
    first_member = Recipient.objects.filter(alert=kansai_relay).order_by("organisation__code").first()
    acknowledgements.acknowledge(first_member, AcknowledgementVia.EMAIL_LINK)

    page = client_as("demo-hub").get(reverse("alerts:tracking", args=[original.pk]))
    assert page.status_code == 200
    summary = page.context["summary"]
    hops = {hop.key: hop for hop in summary.hops}
    assert list(hops) == ["hub-ministry", "ministry-ceptoar", "ceptoar-subgroup", "subgroup-member"]
    assert hops["ceptoar-subgroup"].total == 8 and hops["ceptoar-subgroup"].acknowledged == 1
    assert hops["subgroup-member"].total == 1393 - 330  # the Kanto hub city has not relayed
    assert hops["subgroup-member"].acknowledged == 1

    by_code = {hub.recipient.organisation.code: hub for hub in summary.relay_hubs}
    assert set(by_code) == WATER_HUBS
    assert by_code["water-hub-kansai"].receipt_status == "confirmed"
    assert by_code["water-hub-kansai"].relay == kansai_relay
    assert by_code["water-hub-kansai"].members.total == 170
    assert by_code["water-hub-kansai"].members.acknowledged == 1
    assert by_code["water-hub-kanto"].relay is None and by_code["water-hub-kanto"].members.total == 0
    assert [row.recipient.organisation.code for row in summary.pending_relays] == ["water-hub-kanto"]

    html = page.content.decode()
    table = html.split('id="tracking-relay-hubs"')[1].split("</section>")[0]
    assert "関西地方支部長都市 中継拠点" in table and "not yet relayed" in table and "by rule" in table
    # The organisation table names the hop each row was reached at.
    member_page = client_as("demo-hub").get(
        reverse("alerts:tracking", args=[original.pk]), {"q": first_member.organisation.code}
    )
    (row,) = member_page.context["page"].object_list
    assert row.sent_by == kansai_relay
    assert row.hop == "Sub-groups and relay hubs → Member organisations"
