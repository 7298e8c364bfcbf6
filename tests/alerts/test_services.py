"""Alert operations against the demo registry: draft → (approval) → publish → relay down the chain → close."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ceptoar.alerts import hops
from ceptoar.alerts.models import Alert, RelayRule, Status
from ceptoar.alerts.services import approval, closing, drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.registry.models import Organisation
from ceptoar.sharing import policy
from ceptoar.sharing.models import Audience, Tlp

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def draft(author, **overrides):
    fields = {
        "title": "Ransomware campaign against internet banking",
        "body": "## 概要\n\n対策を確認してください。",
        "category": "malware",
        "severity": "high",
        "tlp": Tlp.AMBER,
        "audience": AudienceSpec(sectors=["finance"]),
    }
    fields.update(overrides)
    return drafts.create_draft(author, **fields)


def test_publish_without_approval_goes_out_at_once(demo_user):
    alert = publication.submit(draft(demo_user("demo-hub")), demo_user("demo-hub"))
    assert alert.status == Status.PUBLISHED and alert.published_at is not None


def test_a_second_person_must_approve_when_asked(demo_user):
    from ceptoar.accounts.models import Role, RoleGrant, User

    author = demo_user("demo-hub")
    alert = publication.submit(draft(author, requires_approval=True), author)
    assert alert.status == Status.AWAITING_APPROVAL
    with pytest.raises(ValidationError, match="second person"):
        approval.approve(alert, author)
    colleague = User.objects.create_user("hub-2", organisation=author.organisation)
    RoleGrant.objects.create(user=colleague, role=Role.HUB_STAFF)
    alert = approval.approve(alert, colleague)
    assert alert.status == Status.PUBLISHED and alert.approved_by == colleague


def test_unknown_audience_is_refused_and_nothing_is_stored(demo_user):
    alerts, audiences = Alert.objects.count(), Audience.objects.count()
    with pytest.raises(ValidationError) as error:
        draft(demo_user("demo-hub"), audience=AudienceSpec(ceptoars=["banks", "no-such-ceptoar"]))
    assert "no-such-ceptoar" in str(error.value.message_dict["audience"])
    assert (Alert.objects.count(), Audience.objects.count()) == (alerts, audiences)


def test_red_is_for_named_people_only(demo_user):
    with pytest.raises(ValidationError, match="named people only"):
        draft(
            demo_user("demo-hub"),
            tlp=Tlp.RED,
            audience=AudienceSpec(ceptoars=["banks"], people=["demo-member"]),
        )
    with pytest.raises(ValidationError, match="at least one named person"):
        draft(demo_user("demo-hub"), tlp=Tlp.RED, audience=AudienceSpec(people=[]))


def test_members_cannot_send(demo_user):
    with pytest.raises(PermissionDenied):
        draft(demo_user("demo-member"))


def test_next_hop_follows_the_chain(demo_user):
    hub_alert = publication.submit(draft(demo_user("demo-hub")), demo_user("demo-hub"))
    assert set(hops.next_hop_recipients(hub_alert).values_list("code", flat=True)) == {"fsa"}
    fsa_relay = publication.relay(hub_alert, demo_user("demo-ministry"), note="金融庁より")
    assert set(hops.next_hop_recipients(fsa_relay).values_list("code", flat=True)) == {
        "banks",
        "securities",
        "life-insurance",
        "non-life-insurance",
    }
    banks_relay = publication.relay(fsa_relay, demo_user("demo-secretariat"), note="至急確認")
    members = hops.next_hop_recipients(banks_relay)
    assert members.count() == 1738
    assert banks_relay.root == hub_alert and banks_relay.parent == fsa_relay and banks_relay.hop == 2
    assert hops.relay_time(banks_relay) >= datetime.timedelta(0)
    assert hops.relay_time(hub_alert) is None


def test_relay_narrows_or_raises_but_never_widens_or_lowers(demo_user):
    hub_alert = publication.submit(
        draft(demo_user("demo-hub"), audience=AudienceSpec(ceptoars=["banks", "securities"])),
        demo_user("demo-hub"),
    )
    ministry = demo_user("demo-ministry")
    with pytest.raises(ValidationError) as error:
        publication.relay(hub_alert, ministry, audience=AudienceSpec(sectors=["finance"]))
    assert "audience" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        publication.relay(hub_alert, ministry, tlp=Tlp.GREEN)
    assert "tlp" in error.value.message_dict
    narrowed = publication.relay(
        hub_alert, ministry, audience=AudienceSpec(ceptoars=["banks"]), tlp=Tlp.AMBER_STRICT
    )
    assert narrowed.tlp == Tlp.AMBER_STRICT
    assert set(policy.audience_organisations(narrowed.audience).values_list("pk", flat=True)) <= set(
        policy.audience_organisations(hub_alert.audience).values_list("pk", flat=True)
    )


def test_no_onward_relay_and_the_same_relay_twice_are_refused(demo_user):
    hub = demo_user("demo-hub")
    closed_chain = publication.submit(draft(hub, no_onward_relay=True), hub)
    with pytest.raises(ValidationError):
        publication.relay(closed_chain, demo_user("demo-ministry"))
    open_chain = publication.submit(draft(hub), hub)
    publication.relay(open_chain, demo_user("demo-ministry"))
    with pytest.raises(ValidationError, match="already relayed"):
        publication.relay(open_chain, demo_user("demo-ministry"))


def test_an_organisation_that_did_not_receive_an_alert_cannot_relay_it(demo_user):
    hub = demo_user("demo-hub")
    telecom_only = publication.submit(draft(hub, audience=AudienceSpec(ceptoars=["t-ceptoar"])), hub)
    with pytest.raises(PermissionDenied):
        publication.relay(telecom_only, demo_user("demo-secretariat"))


def test_relay_rules_carry_a_hub_alert_down_to_the_members(demo_user, django_capture_on_commit_callbacks):
    RelayRule.objects.create(
        organisation=Organisation.objects.get(code="fsa"),
        created_by=demo_user("demo-ministry"),
        from_organisation_kinds=["hub"],
        categories=["malware"],
        note="自動転送",
    )
    RelayRule.objects.create(
        organisation=Organisation.objects.get(code="banks"),
        created_by=demo_user("demo-secretariat"),
        from_organisation_kinds=["ministry"],
        note="自動転送",
    )
    hub = demo_user("demo-hub")
    with django_capture_on_commit_callbacks(execute=True):
        hub_alert = publication.submit(draft(hub), hub)
    chain = Alert.objects.filter(root=hub_alert).order_by("id")
    assert [(a.origin_organisation.code, a.relayed_automatically) for a in chain] == [
        ("fsa", True),
        ("banks", True),
    ]
    assert policy.may_see(demo_user("demo-member"), chain.last())


def test_relay_rules_ignore_other_categories(demo_user, django_capture_on_commit_callbacks):
    RelayRule.objects.create(
        organisation=Organisation.objects.get(code="fsa"),
        created_by=demo_user("demo-ministry"),
        categories=["vulnerability"],
    )
    hub = demo_user("demo-hub")
    with django_capture_on_commit_callbacks(execute=True):
        hub_alert = publication.submit(draft(hub), hub)
    assert not Alert.objects.filter(root=hub_alert).exists()


def test_close(demo_user):
    hub = demo_user("demo-hub")
    alert = publication.submit(draft(hub), hub)
    with pytest.raises(PermissionDenied):
        closing.close(alert, demo_user("demo-ministry"))
    assert closing.close(alert, hub).status == Status.CLOSED


def test_the_organisations_an_alert_was_sent_to_see_it_and_no_other_ministry_does(demo_user):
    from ceptoar.accounts.models import Role, RoleGrant, User

    hub = demo_user("demo-hub")
    alert = publication.submit(draft(hub), hub)  # sectors=finance: no ministry is in the audience itself
    assert set(alert.recipients.values_list("organisation__code", flat=True)) == {"fsa"}
    assert policy.may_see(demo_user("demo-ministry"), alert)
    mic = User.objects.create_user("mic-liaison", organisation=Organisation.objects.get(code="mic"))
    RoleGrant.objects.create(user=mic, role=Role.MINISTRY_LIAISON)
    assert not policy.may_see(mic, alert)
    assert not policy.visible_alerts(mic).filter(pk=alert.pk).exists()


def test_the_inbox_shows_each_chain_once_at_the_hop_nearest_the_reader(demo_user):
    hub = demo_user("demo-hub")
    original = publication.submit(draft(hub, tlp=Tlp.GREEN), hub)
    fsa_relay = publication.relay(original, demo_user("demo-ministry"))
    banks_relay = publication.relay(fsa_relay, demo_user("demo-secretariat"), note="至急")
    member = demo_user("demo-member")
    chain = [original.pk, fsa_relay.pk, banks_relay.pk]
    assert policy.visible_alerts(member).filter(pk__in=chain).count() == 3
    assert list(policy.nearest_visible_alerts(member).filter(pk__in=chain)) == [banks_relay]
    # The hub does not see the ministry's relay, so it keeps its own original.
    assert policy.nearest_visible_alerts(hub).filter(pk=original.pk).exists()
