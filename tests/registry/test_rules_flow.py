"""Handling rules (情報取扱いルール) as members live with them: a secretariat publishes a new version with a
summary of the changes, the members' points of contact are e-mailed (a real SMTP server on loopback), the
freshness page counts who has not accepted it, a member's POC reads and accepts it on the portal, and AMBER
reaches that member again. Councils keep rules too, read and accepted by the CEPTOARs seated in them."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ceptoar.accounts.models import Role, User
from ceptoar.alerts.models import Alert
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.email import EmailChannel
from ceptoar.notifications.models import Notification
from ceptoar.registry import queries
from ceptoar.registry.models import HandlingRules, Organisation, RulesAcceptance
from ceptoar.registry.services.rules_acceptance import do_accept_rules
from ceptoar.registry.services.rules_publication import RulesDraft, do_publish_rules
from ceptoar.sharing import policy
from ceptoar.sharing.models import Tlp
from tests.channels import conftest as channel_fixtures
from tests.notifications.helpers import run_notification_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# The real SMTP server on loopback of the delivery tests.
smtp_port, smtp_server = channel_fixtures.smtp_port, channel_fixtures.smtp_server


def people_mailed(rules: HandlingRules) -> set[str]:
    """The people (accounts) told of this version by their own notification e-mail."""
    return set(
        Notification.objects.filter(key=f"rules:{rules.pk}", mail__isnull=False).values_list(
            "mail__address", flat=True
        )
    )


def mailed_to(smtp_server) -> list[str]:
    return [message["To"].addresses[0].addr_spec for message in smtp_server.messages]


def new_version(**overrides) -> RulesDraft:
    values = dict(
        title="銀行等CEPTOAR 情報取扱いルール (改定)",
        text="第1条 AMBER の情報は構成員の内部でのみ取り扱う。",
        change_summary="第1条を TLP 2.0 の定義に合わせた。",
        enacted_on=timezone.localdate(),
    )
    values.update(overrides)
    return RulesDraft(**values)


def amber_alert_to_banks(secretariat) -> Alert:
    draft = drafts.create_draft(
        secretariat,
        title="AMBER advisory for members",
        body="対策を確認してください。",
        category="malware",
        severity="high",
        tlp=Tlp.AMBER,
        audience=AudienceSpec(ceptoars=["banks"]),
    )
    return publication.submit(draft, secretariat)


def test_member_reads_and_accepts_the_new_version_and_amber_reaches_it_again(
    client_as,
    demo_user,
    smtp_server,
    django_capture_on_commit_callbacks,
):
    secretariat, member_poc = demo_user("demo-secretariat"), demo_user("demo-member")
    banks, member = Organisation.objects.get(code="banks"), member_poc.organisation
    before = queries.latest_rules(banks)

    with django_capture_on_commit_callbacks(execute=True):
        rules, addresses = do_publish_rules(secretariat, banks, new_version())
    run_notification_tasks()
    assert rules.version == before.version + 1 and rules.published_by == secretariat
    # Every member's emergency POC with an e-mail address was told, one message each, after the commit, and
    # so was each person who may accept for a member (their own notification, `tests/notifications`).
    people = people_mailed(rules)
    assert member_poc.email in people
    assert addresses and len(smtp_server.messages) == len(set(addresses) | people)
    assert set(mailed_to(smtp_server)) == set(addresses) | people
    assert set(addresses) == set(queries.poc_email_addresses(queries.organisations_bound_by_rules_of(banks)))
    text = smtp_server.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert f"v{rules.version}" in text and "/registry/rules/" in text and "第1条を TLP 2.0" in text

    # From today, nobody has accepted it: AMBER stops reaching the member until it does.
    alert = amber_alert_to_banks(secretariat)
    assert not policy.is_bound_by_current_rules(member)
    assert not policy.may_see(member_poc, alert)

    client = client_as("demo-member")
    page = client.get(reverse("registry:organisation_rules", args=[member.code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert rules.text in html and rules.change_summary in html
    assert f"until you accept version {rules.version}, AMBER information is not sent to you" in html

    response = client.post(
        reverse("registry:rules_accept", args=[member.code, rules.pk]),
        {"accepted_by_name": "山田 太郎", "confirm": "on"},
    )
    assert response.status_code == 302
    acceptance = RulesAcceptance.objects.get(organisation=member, rules=rules)
    assert (acceptance.accepted_by, acceptance.accepted_by_name) == (member_poc, "山田 太郎")
    assert acceptance.accepted_on == timezone.localdate()

    assert policy.is_bound_by_current_rules(member)
    assert policy.may_see(member_poc, alert)
    disclosure = policy.disclosure_for_organisation(alert, member.pk, EmailChannel.trust)
    assert disclosure == policy.Disclosure.FULL
    html = client.get(reverse("registry:organisation_rules", args=[member.code])).content.decode()
    assert "AMBER information is not sent to you" not in html and "山田 太郎" in html


def test_freshness_counts_members_that_have_not_accepted_per_ceptoar(client_as, demo_user):
    secretariat = demo_user("demo-secretariat")
    banks = Organisation.objects.get(code="banks")
    rules, _ = do_publish_rules(secretariat, banks, new_version())
    members = banks.member_links.count()
    do_accept_rules(
        demo_user("demo-member"), demo_user("demo-member").organisation, rules, accepted_by_name="山田 太郎"
    )
    response = client_as("demo-secretariat").get(reverse("registry:freshness"))
    row = next(r for r in response.context["rules_by_owner"] if r["owner"].code == "banks")
    assert (row["rules"], row["bound"], row["not_accepted"]) == (rules, members, members - 1)
    assert f'id="rules-not-accepted-banks">{members - 1:,}<' in response.content.decode()


def test_a_version_published_ahead_may_be_accepted_before_it_takes_effect(client_as, demo_user):
    secretariat, member_poc = demo_user("demo-secretariat"), demo_user("demo-member")
    member = member_poc.organisation
    banks = Organisation.objects.get(code="banks")
    in_force = queries.current_rules(banks)
    RulesAcceptance.objects.filter(organisation=member, rules=in_force).delete()
    ahead = timezone.localdate() + datetime.timedelta(days=30)
    rules, _ = do_publish_rules(secretariat, banks, new_version(enacted_on=ahead))
    assert queries.current_rules(banks) == in_force  # the old version still binds until that day

    # The page asks for the version in force first: accepting it is what lets AMBER through today.
    client = client_as("demo-member")
    url = reverse("registry:organisation_rules", args=[member.code])
    entry = next(e for e in client.get(url).context["entries"] if e["owner"] == banks)
    assert (entry["to_accept"], entry["amber_held_back"], entry["ahead"]) == (in_force, True, True)
    do_accept_rules(member_poc, member, in_force, accepted_by_name="山田 太郎")
    assert policy.is_bound_by_current_rules(member)
    entry = next(e for e in client.get(url).context["entries"] if e["owner"] == banks)
    assert (entry["to_accept"], entry["amber_held_back"]) == (rules, False)

    do_accept_rules(member_poc, member, rules, accepted_by_name="山田 太郎")
    waiting = queries.memberships_without_current_acceptance(banks.member_links.filter(member=member), ahead)
    assert not waiting.exists()


def test_who_may_accept_and_publish(demo_user):
    banks = Organisation.objects.get(code="banks")
    member = demo_user("demo-member").organisation
    rules = queries.latest_rules(banks)
    RulesAcceptance.objects.filter(organisation=member, rules=rules).delete()
    # An analyst reads but does not bind the member; the CEPTOAR's secretariat does not accept for it.
    for username in ("demo-analyst", "demo-secretariat", "demo-member2"):
        with pytest.raises(PermissionDenied):
            do_accept_rules(demo_user(username), member, rules, accepted_by_name="x")
    # Members, the hub and another CEPTOAR's coordinator do not publish the banks' rules.
    for username in ("demo-member", "demo-hub", "demo-coordinator"):
        with pytest.raises(PermissionDenied):
            do_publish_rules(demo_user(username), banks, new_version())
    assert not RulesAcceptance.objects.filter(organisation=member, rules=rules).exists()
    assert queries.latest_rules(banks) == rules


def test_bad_input_names_the_field_and_writes_nothing(demo_user, django_capture_on_commit_callbacks):
    secretariat, member_poc = demo_user("demo-secretariat"), demo_user("demo-member")
    banks = Organisation.objects.get(code="banks")
    count = HandlingRules.objects.count()
    cases = [
        (new_version(change_summary="  "), "change_summary"),
        (new_version(enacted_on=timezone.localdate() - datetime.timedelta(days=1)), "enacted_on"),
        (new_version(enacted_on=None), "enacted_on"),
        (new_version(title=""), "title"),
        (new_version(text=""), "text"),
    ]
    for draft, field in cases:
        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as error:
            do_publish_rules(secretariat, banks, draft)
        assert field in error.value.message_dict, field
        assert callbacks == []  # no e-mail for a version that was not published
    assert HandlingRules.objects.count() == count

    old = queries.latest_rules(banks)
    rules, _ = do_publish_rules(secretariat, banks, new_version())
    acceptances = RulesAcceptance.objects.count()
    with pytest.raises(ValidationError) as error:
        do_accept_rules(member_poc, member_poc.organisation, rules, accepted_by_name="  ")
    assert "accepted_by_name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        do_accept_rules(member_poc, member_poc.organisation, old, accepted_by_name="山田 太郎")
    assert f"Version {rules.version}" in error.value.message_dict["rules"][0]
    assert RulesAcceptance.objects.count() == acceptances


def _council_secretariat(code: str) -> User:
    council = Organisation.objects.get(code=code)
    user = User.objects.create_user(username=f"{code}-secretariat", organisation=council)
    user.role_grants.create(role=Role.SECRETARIAT)
    return user


def test_council_rules_are_read_and_accepted_by_the_seated_ceptoars(
    client_as,
    demo_user,
    smtp_server,
    django_capture_on_commit_callbacks,
):
    council = Organisation.objects.get(code="finance-council")
    with django_capture_on_commit_callbacks(execute=True):
        rules, addresses = do_publish_rules(
            _council_secretariat("finance-council"),
            council,
            new_version(
                title="金融CEPTOAR連絡協議会 情報取扱いルール", change_summary="オブザーバーの投稿範囲を明記"
            ),
        )
    run_notification_tasks()
    assert rules.version == 2 and rules.ceptoar == council  # the demo holds version 1
    seated = Organisation.objects.filter(councils__council=council)
    assert set(addresses) == set(queries.poc_email_addresses(seated)) and len(smtp_server.messages) == len(
        set(addresses) | people_mailed(rules)
    )

    banks = Organisation.objects.get(code="banks")
    bound_before = policy.is_bound_by_current_rules(banks)
    client = client_as("demo-secretariat")
    html = client.get(reverse("registry:organisation_rules", args=["banks"])).content.decode()
    assert "金融CEPTOAR連絡協議会 情報取扱いルール" in html and rules.text in html
    response = client.post(
        reverse("registry:rules_accept", args=["banks", rules.pk]),
        {"accepted_by_name": "事務局 花子", "confirm": "on"},
    )
    assert response.status_code == 302
    assert RulesAcceptance.objects.filter(organisation=banks, rules=rules).exists()
    assert queries.seats_without_current_acceptance(council.council_seats.all()).count() == seated.count() - 1
    # How the policy counts councils is not changed here.
    assert policy.is_bound_by_current_rules(banks) == bound_before

    # A member's POC does not accept for its CEPTOAR; a CEPTOAR without a seat cannot accept at all.
    with pytest.raises(PermissionDenied):
        do_accept_rules(demo_user("demo-member"), banks, rules, accepted_by_name="x")
    electricity = Organisation.objects.get(code="electricity")
    staff = User.objects.create_user(username="electricity-secretariat", organisation=electricity)
    staff.role_grants.create(role=Role.SECRETARIAT)
    with pytest.raises(ValidationError) as error:
        do_accept_rules(staff, electricity, rules, accepted_by_name="x")
    assert "rules" in error.value.message_dict


def test_the_publish_page_names_the_field_and_writes_nothing_then_publishes(client_as, demo_user):
    client = client_as("demo-secretariat")
    banks = Organisation.objects.get(code="banks")
    previous = queries.latest_rules(banks)
    url = reverse("registry:rules_publish", args=["banks"])
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"].initial["text"] == previous.text
    data = {
        "title": "改定版",
        "text": "第1条 …",
        "change_summary": "",
        "enacted_on": timezone.localdate().isoformat(),
        "highest_tlp_shared": "amber",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "change_summary" in response.context["form"].errors
    response = client.post(url, data | {"change_summary": "第1条を改めた。", "enacted_on": "2001-01-01"})
    assert response.status_code == 400 and "enacted_on" in response.context["form"].errors
    assert queries.latest_rules(banks) == previous

    response = client.post(url, data | {"change_summary": "第1条を改めた。"})
    assert response.status_code == 302
    rules = queries.latest_rules(banks)
    assert (rules.version, rules.change_summary, rules.highest_tlp_shared) == (
        previous.version + 1,
        "第1条を改めた。",
        "amber",
    )
    assert client_as("demo-member").get(url).status_code == 403


def test_accepting_on_the_page_without_the_confirmation_names_the_field(client_as, demo_user):
    rules, _ = do_publish_rules(
        demo_user("demo-secretariat"), Organisation.objects.get(code="banks"), new_version()
    )
    member = demo_user("demo-member").organisation
    response = client_as("demo-member").post(
        reverse("registry:rules_accept", args=[member.code, rules.pk]), {"accepted_by_name": "山田 太郎"}
    )
    assert response.status_code == 400
    entry = next(e for e in response.context["entries"] if e["owner"].code == "banks")
    assert "confirm" in entry["form"].errors
    assert not RulesAcceptance.objects.filter(organisation=member, rules=rules).exists()
