"""The demo shows every feature: a second hub person approves what the first wrote, and the demo's relay
chain (`demo.relays`, which `ceptoar demo` adds) carries a hub alert through the ministries and CEPTOARs,
and the sub-groups' own rules, to every member organisation."""

from __future__ import annotations

import pytest

from ceptoar.accounts.models import User
from ceptoar.alerts.models import Alert, Recipient, RelayRule, Status
from ceptoar.alerts.services import approval, drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.demo.population import DEMO_ACCOUNTS, DEMO_PASSWORD, add_missing_accounts
from ceptoar.demo.relays import CEPTOAR_RELAY_NOTE, MINISTRY_RELAY_NOTE, load_demo_relay_chain
from ceptoar.registry.models import Membership, Organisation, OrganisationKind

pytestmark = pytest.mark.django_db

# Three ministries, a CEPTOAR with sub-groups (T-CEPTOAR's SG1–SG4) and two without.
CEPTOARS = ["t-ceptoar", "gas", "medical"]


def test_the_chain_gives_every_ministry_and_ceptoar_one_rule_in_its_own_name_once():
    chain = load_demo_relay_chain()

    ministries = Organisation.objects.filter(kind=OrganisationKind.MINISTRY)
    ceptoars = Organisation.objects.filter(kind=OrganisationKind.CEPTOAR)
    assert (chain.ministries, chain.ceptoars) == (ministries.count(), ceptoars.count())
    for organisation in [*ministries, *ceptoars]:
        [rule] = RelayRule.objects.filter(organisation=organisation, is_active=True)
        assert rule.created_by.organisation_id == organisation.pk
        assert rule.categories == [] and rule.minimum_severity == "low"
    # A demo login of the organisation answers for its rule where there is one; else a relay account
    # that cannot log in.
    assert RelayRule.objects.get(organisation__code="fsa").created_by.username == "demo-ministry"
    assert RelayRule.objects.get(organisation__code="banks").created_by.username == "demo-secretariat"
    assert RelayRule.objects.get(organisation__code="t-ceptoar").created_by.username == "demo-coordinator"
    relay_person = RelayRule.objects.get(organisation__code="gas").created_by
    assert relay_person.username == "relay-gas" and not relay_person.has_usable_password()
    # Loading it again adds nothing.
    again = load_demo_relay_chain()
    assert (again.ministries, again.ceptoars) == (0, 0)


def test_a_hub_alert_approved_by_the_second_hub_person_reaches_every_member_through_the_relay_rules(
    django_capture_on_commit_callbacks,
):
    load_demo_relay_chain()
    author, approver = User.objects.get(username="demo-hub"), User.objects.get(username="demo-hub2")
    draft = drafts.create_draft(
        author,
        title="デモ: 中継ルールで構成員まで届くことの確認",
        body="所管省庁とセプターの自動転送で、構成員まで届きます。",
        category="vulnerability",
        severity="medium",
        tlp="green",
        audience=AudienceSpec(ceptoars=CEPTOARS),
        requires_approval=True,
    )
    waiting = publication.submit(draft, author)
    assert waiting.status == Status.AWAITING_APPROVAL

    with django_capture_on_commit_callbacks(execute=True):
        published = approval.approve(waiting, approver)

    assert published.status == Status.PUBLISHED and published.approved_by == approver
    tree = Alert.objects.filter(root=published)
    relays = {(alert.origin_organisation.code, alert.relay_note) for alert in tree}
    assert {
        ("mic", MINISTRY_RELAY_NOTE),
        ("meti", MINISTRY_RELAY_NOTE),
        ("mhlw", MINISTRY_RELAY_NOTE),
    } <= relays
    assert {(code, CEPTOAR_RELAY_NOTE) for code in CEPTOARS} <= relays
    assert {f"t-ceptoar-sg{number}" for number in range(1, 5)} <= {code for code, _note in relays}
    assert all(alert.relayed_automatically for alert in tree)
    members = set(Membership.objects.filter(ceptoar__code__in=CEPTOARS).values_list("member_id", flat=True))
    reached = set(
        Recipient.objects.filter(alert__in=[published, *tree]).values_list("organisation_id", flat=True)
    )
    assert len(members) == 29 + 10 + 3
    assert members <= reached
    # Nobody outside the audience: no member of another CEPTOAR.
    others = Membership.objects.exclude(ceptoar__code__in=CEPTOARS).exclude(member_id__in=members)
    assert not reached & set(others.values_list("member_id", flat=True))


def test_the_second_hub_login_is_a_demo_account_like_the_first():
    hub2 = User.objects.get(username="demo-hub2")
    assert hub2.check_password(DEMO_PASSWORD) and hub2.is_demo
    assert hub2.organisation.code == "nisc" and hub2.has_role("hub_staff")
    assert hub2.authenticator_set.filter(type="totp").exists()
    assert "demo-hub2" in [account.username for account in DEMO_ACCOUNTS]
    # A demo loaded before it existed gets it from `ceptoar demo`; one that has it gets nothing.
    assert add_missing_accounts() == []
    User.objects.filter(username="demo-hub2").delete()
    assert add_missing_accounts() == ["demo-hub2"]
    assert User.objects.get(username="demo-hub2").check_password(DEMO_PASSWORD)
