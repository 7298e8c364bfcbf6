"""Lateral alerts under agreements (alerts.lateral): refused without one, delivered, acknowledged, escalated,
tracked and relayed with one, and stopped at once when the agreement is suspended.

The pairs are outside finance (the demo's finance liaison agreement may cover those): banks → electricity,
electricity → gas."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from ceptoar.agreements.services import lifecycle
from ceptoar.alerts import hops
from ceptoar.alerts.models import AcknowledgementVia, Alert, Recipient, RelayRule, Status
from ceptoar.alerts.services import acknowledgements, drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.models import Delivery
from ceptoar.escalation.models import FollowUp, FollowUpState, Step
from ceptoar.escalation.services import run_due_follow_ups
from ceptoar.registry.models import Membership, Organisation
from ceptoar.sharing import policy
from ceptoar.sharing.models import Tlp
from tests.agreements.helpers import in_force, staff_of, term

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def org(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def lateral_draft(author, **overrides) -> Alert:
    fields = {
        "title": "Malware aimed at control-room PCs",
        "body": "対策を確認してください。",
        "category": "malware",
        "severity": "high",
        "tlp": Tlp.AMBER,
        "audience": AudienceSpec(ceptoars=["electricity"]),
    }
    fields.update(overrides)
    return drafts.create_draft(author, **fields)


def banks_to_electricity(**overrides):
    return in_force(["banks", "electricity"], [term("banks", "electricity", **overrides)])


def test_without_an_agreement_the_send_is_refused_naming_it_and_nothing_goes_out():
    banks = staff_of("banks")
    alert = lateral_draft(banks)
    with pytest.raises(ValidationError) as error:
        publication.submit(alert, banks)
    messages = error.value.message_dict["audience"]
    assert messages == [
        f"No agreement in force lets {org('banks').name} share with {org('electricity').name}."
    ]
    alert.refresh_from_db()
    assert alert.status == Status.DRAFT
    assert not Recipient.objects.filter(alert=alert).exists()


def test_a_send_for_approval_is_refused_at_once_too():
    banks = staff_of("banks")
    with pytest.raises(ValidationError) as error:
        publication.submit(lateral_draft(banks, requires_approval=True), banks)
    assert "No agreement in force" in error.value.message_dict["audience"][0]


def test_with_an_agreement_the_receiving_ceptoar_is_delivered_acknowledges_and_is_escalated():
    banks_to_electricity()
    banks = staff_of("banks")
    alert = publication.submit(lateral_draft(banks), banks)
    recipients = Recipient.objects.filter(alert=alert)
    # Only the receiving CEPTOAR at this hop: its members get it from its relay.
    assert list(recipients.values_list("organisation__code", flat=True)) == ["electricity"]
    recipient = recipients.get()
    assert Delivery.objects.filter(recipient=recipient).exists()
    assert FollowUp.objects.filter(
        recipient=recipient, step=Step.BACKUP, state=FollowUpState.PENDING
    ).exists()

    # Unconfirmed, the backup step runs for it as for any recipient of the chain.
    run_due_follow_ups(now=alert.published_at + timedelta(days=1))
    backup = FollowUp.objects.get(recipient=recipient, step=Step.BACKUP)
    assert backup.state == FollowUpState.DONE and backup.outcome == "sent"

    electricity = staff_of("electricity")
    assert policy.may_see(electricity, alert)
    acknowledgements.acknowledge(recipient, AcknowledgementVia.PORTAL, by_user=electricity)
    assert not FollowUp.objects.filter(recipient=recipient, state=FollowUpState.PENDING).exists()


def test_the_receiving_ceptoar_relays_to_its_own_members_with_lineage():
    banks_to_electricity(may_relay=True)
    banks = staff_of("banks")
    alert = publication.submit(lateral_draft(banks), banks)
    default = publication.default_relay_audience(org("electricity"), alert)
    assert default == AudienceSpec(ceptoars=["electricity"])
    relayed = publication.relay(alert, staff_of("electricity"), note="電力各社へ")
    assert relayed.parent == alert and relayed.root == alert
    members = set(Membership.objects.filter(ceptoar__code="electricity").values_list("member_id", flat=True))
    assert set(Recipient.objects.filter(alert=relayed).values_list("organisation_id", flat=True)) == members


def test_a_relay_rule_of_the_receiving_ceptoar_relays_it(django_capture_on_commit_callbacks):
    banks_to_electricity(may_relay=True)
    electricity = staff_of("electricity")
    RelayRule.objects.create(organisation=org("electricity"), created_by=electricity, categories=["malware"])
    banks = staff_of("banks")
    with django_capture_on_commit_callbacks(execute=True):
        alert = publication.submit(lateral_draft(banks), banks)
    relayed = Alert.objects.get(parent=alert)
    assert relayed.origin_organisation.code == "electricity" and relayed.relayed_automatically


def test_no_relay_where_the_agreement_does_not_allow_it(django_capture_on_commit_callbacks):
    banks_to_electricity(may_relay=False)
    electricity = staff_of("electricity")
    RelayRule.objects.create(organisation=org("electricity"), created_by=electricity, categories=["malware"])
    banks = staff_of("banks")
    with django_capture_on_commit_callbacks(execute=True):
        alert = publication.submit(lateral_draft(banks), banks)
    assert not Alert.objects.filter(parent=alert).exists()  # the rule skipped it
    with pytest.raises(ValidationError) as error:
        publication.relay(alert, electricity)
    assert "not relay them further" in error.value.message_dict["parent"][0]


@pytest.mark.parametrize(
    "overrides, missing",
    [
        ({"tlp": Tlp.AMBER_STRICT}, "TLP:AMBER+STRICT (they allow up to TLP:AMBER)"),
        ({"category": "it_failure"}, "the category “IT failure”"),
    ],
)
def test_what_the_term_does_not_cover_is_refused(overrides, missing):
    agreement = banks_to_electricity()
    banks = staff_of("banks")
    with pytest.raises(ValidationError) as error:
        publication.submit(lateral_draft(banks, **overrides), banks)
    (message,) = error.value.message_dict["audience"]
    assert agreement.title in message and missing in message


def test_a_member_of_another_ceptoar_is_reached_through_that_ceptoar():
    banks_to_electricity()
    banks = staff_of("banks")
    member = Membership.objects.filter(ceptoar__code="electricity").order_by("member__code").first().member
    alert = publication.submit(
        lateral_draft(banks, audience=AudienceSpec(organisations=[member.code])), banks
    )
    assert set(hops.next_hop_recipients(alert).values_list("code", flat=True)) == {"electricity"}
    relayed = publication.relay(alert, staff_of("electricity"))
    assert list(Recipient.objects.filter(alert=relayed).values_list("organisation_id", flat=True)) == [
        member.pk
    ]


def test_the_own_members_need_no_agreement_and_others_in_one_audience_do():
    banks = staff_of("banks")
    own = publication.submit(lateral_draft(banks, audience=AudienceSpec(organisations=["banks-0001"])), banks)
    assert list(Recipient.objects.filter(alert=own).values_list("organisation__code", flat=True)) == [
        "banks-0001"
    ]
    with pytest.raises(ValidationError) as error:
        publication.submit(lateral_draft(banks, audience=AudienceSpec(ceptoars=["banks", "gas"])), banks)
    assert error.value.message_dict["audience"] == [
        f"No agreement in force lets {org('banks').name} share with {org('gas').name}."
    ]


def test_a_related_body_sends_only_to_the_parties_of_its_agreements():
    fisc = staff_of("fisc")
    with pytest.raises(ValidationError) as error:
        publication.submit(lateral_draft(fisc), fisc)
    assert org("fisc").name in error.value.message_dict["audience"][0]
    in_force(["fisc", "electricity"], [term("fisc", "electricity")])
    alert = publication.submit(lateral_draft(fisc), fisc)
    assert list(Recipient.objects.filter(alert=alert).values_list("organisation__code", flat=True)) == [
        "electricity"
    ]


@pytest.mark.parametrize("end", ["suspend", "revoke", "expire"])
def test_ending_the_agreement_stops_relays_and_escalation_at_once(end, django_capture_on_commit_callbacks):
    agreement = banks_to_electricity(may_relay=True)
    banks = staff_of("banks")
    alert = publication.submit(lateral_draft(banks), banks)
    recipient = Recipient.objects.get(alert=alert)
    if end == "suspend":
        lifecycle.do_suspend(agreement, banks, org("banks"), "調査中")
    elif end == "revoke":
        lifecycle.do_revoke(agreement, banks, org("banks"), "解消")
    else:
        agreement.valid_to = agreement.valid_from
        agreement.save(update_fields=["valid_to"])

    electricity = staff_of("electricity")
    with pytest.raises(ValidationError) as error:
        publication.relay(alert, electricity)
    assert "No agreement in force" in error.value.message_dict["parent"][0]

    # A rule set up now skips it too.
    RelayRule.objects.create(organisation=org("electricity"), created_by=electricity)
    assert publication.apply_relay_rules(alert.pk) == []

    run_due_follow_ups(now=alert.published_at + timedelta(days=1))
    backup = FollowUp.objects.get(recipient=recipient, step=Step.BACKUP)
    assert backup.state == FollowUpState.CANCELLED
    assert backup.outcome.startswith("cancelled: no agreement in force")
    assert not Delivery.objects.filter(recipient=recipient, escalation_step=Step.BACKUP).exists()
    assert not FollowUp.objects.filter(recipient=recipient, step=Step.HEAD).exists()


def test_ending_the_agreement_stops_relays_further_down_what_came_under_it():
    agreement = in_force(["electricity", "t-ceptoar"], [term("electricity", "t-ceptoar")])
    electricity = staff_of("electricity")
    alert = publication.submit(
        lateral_draft(electricity, audience=AudienceSpec(ceptoars=["t-ceptoar"])), electricity
    )
    t_ceptoar = publication.relay(
        alert, staff_of("t-ceptoar"), audience=AudienceSpec(subgroups=["t-ceptoar-sg1"])
    )
    lifecycle.do_suspend(agreement, electricity, org("electricity"), "調査中")
    subgroup_staff = staff_of("t-ceptoar-sg1")
    with pytest.raises(ValidationError) as error:
        publication.relay(t_ceptoar, subgroup_staff)
    assert org("electricity").name in error.value.message_dict["parent"][0]


def test_the_chain_below_a_lateral_receiver_is_not_cancelled_by_the_agreement():
    """The electricity members escalated for electricity's own relay stay escalated: only the lateral hop
    depends on the agreement."""
    agreement = banks_to_electricity(may_relay=True)
    banks = staff_of("banks")
    alert = publication.submit(lateral_draft(banks), banks)
    relayed = publication.relay(alert, staff_of("electricity"))
    lifecycle.do_suspend(agreement, banks, org("banks"), "調査中")
    run_due_follow_ups(now=relayed.published_at + timedelta(days=1))
    states = set(
        FollowUp.objects.filter(recipient__alert=relayed, step=Step.BACKUP).values_list("state", flat=True)
    )
    assert states == {FollowUpState.DONE}


def test_tracking_says_why_a_lateral_receiver_has_not_relayed(client):
    from django.test import override_settings
    from django.urls import reverse

    from tests.signin import sign_in

    agreement = banks_to_electricity(may_relay=False)
    banks = staff_of("banks")
    alert = publication.submit(lateral_draft(banks), banks)
    with override_settings(CEPTOAR_MFA_REQUIRED=False):
        sign_in(client, banks)
        response = client.get(reverse("alerts:tracking", args=[alert.pk]))
    assert response.status_code == 200
    (row,) = response.context["summary"].pending_relays
    assert row.recipient.organisation.code == "electricity"
    assert "not relay them further" in row.blocked_reason and agreement.title in row.blocked_reason
