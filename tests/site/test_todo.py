"""The home page's to-do (what needs me now) and the header's badges: each role sees exactly its kinds of
item, each count moves when the item is acted on, and the whole list is a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ceptoar.accounts.models import Role
from ceptoar.alerts.models import AcknowledgementVia, Recipient
from ceptoar.alerts.services import acknowledgements, approval, drafts, publication, relay_approval
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.exercises.services import running
from ceptoar.registry.models import Contact, Organisation
from ceptoar.registry.services.rules_acceptance import do_accept_rules
from ceptoar.registry.services.rules_publication import RulesDraft, do_publish_rules
from ceptoar.registry.services.verification import flag_for_reverification, mark_contact_verified
from ceptoar.reports.models import TriageStatus
from ceptoar.reports.services import cases, triage
from ceptoar.sharing.models import Tlp
from ceptoar.site import todo
from tests.alerts.test_tracking_support import hub_alert
from tests.exercises.support import plan
from tests.reports.test_triage_support import person, send_report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HOME = reverse("home")

EXPECTED_KINDS = {
    "demo-hub": {
        "unacknowledged",
        "alerts_to_approve",
        "relays_to_approve",
        "stale_contacts",
        "exercises_running",
    },
    "demo-ministry": {
        "unacknowledged",
        "unrelayed",
        "alerts_to_approve",
        "relays_to_approve",
        "stale_contacts",
        "exercises_running",
    },
    "demo-secretariat": {
        "unacknowledged",
        "unrelayed",
        "alerts_to_approve",
        "relays_to_approve",
        "reports_new",
        "reports_overdue",
        "stale_contacts",
        "rules_to_accept",
        "exercises_running",
    },
    "demo-member": {
        "unacknowledged",
        "cases_to_approve",
        "reports_questions",
        "stale_contacts",
        "rules_to_accept",
    },
    # They read; nothing waits on them.
    "demo-analyst": set(),
    "demo-auditor": set(),
}


def shown(html: str) -> dict[str, int]:
    """The to-do's lines on the home page: kind → count."""
    section = html[html.index('<section id="todo">') :]
    section = section[: section.index("</section>")]
    lines = re.findall(r'<li id="todo-(\w+)"[^>]*>\s*<span class="todo-count" data-count="(\d+)"', section)
    return {key: int(count) for key, count in lines}


def badge(html: str, link_id: str) -> int:
    """The count on a header link, 0 when it shows none."""
    match = re.search(rf'id="{link_id}"[^>]*>[^<]*(?:<span class="nav-count"[^>]*>(\d+)</span>)?', html)
    assert match, link_id
    return int(match.group(1) or 0)


def home(client) -> str:
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def counts(user) -> dict[str, int]:
    return {item.key: item.count for item in todo.todo_for(user).items}


@pytest.mark.parametrize("username", sorted(EXPECTED_KINDS))
def test_each_role_sees_exactly_its_kinds(client_as, username):
    html = home(client_as(username))
    assert set(shown(html)) == EXPECTED_KINDS[username]
    # The header's badge counts what is urgent; upkeep waits on the home page.
    upkeep = {"stale_contacts", "rules_to_accept", "exercises_running"}
    assert badge(html, "nav-todo") == sum(n for key, n in shown(html).items() if key not in upkeep)
    if not EXPECTED_KINDS[username]:
        assert 'id="todo-none"' in html
        assert badge(html, "nav-todo") == 0


def test_a_member_acknowledges_and_the_count_and_badges_go_down(client_as, demo_user):
    member = demo_user("demo-member")
    client = client_as("demo-member")
    before = shown(home(client))["unacknowledged"]
    original = hub_alert(demo_user, ceptoars=["banks"])
    fsa = publication.relay(original, demo_user("demo-ministry"))
    banks = publication.relay(fsa, demo_user("demo-secretariat"))
    html = home(client)
    assert shown(html)["unacknowledged"] == before + 1
    assert badge(html, "nav-alerts") == before + 1
    assert badge(html, "nav-todo") == sum(
        shown(html)[key] for key in ("unacknowledged", "cases_to_approve", "reports_questions")
    )
    assert badge(html, "nav-todo") >= before + 1
    assert f'href="{reverse("alerts:inbox")}?unacknowledged=on"' in html
    # banks-0002's point of contact owes its own receipt; the analyst answers for none.
    assert counts(demo_user("demo-member2"))["unacknowledged"] == before + 1
    assert "unacknowledged" not in counts(demo_user("demo-analyst"))

    recipient = Recipient.objects.get(alert=banks, organisation=member.organisation)
    acknowledgements.acknowledge(recipient, AcknowledgementVia.PORTAL, by_user=member)
    html = home(client)
    assert shown(html)["unacknowledged"] == before
    assert badge(html, "nav-alerts") == before
    assert counts(demo_user("demo-member2"))["unacknowledged"] == before + 1


def test_the_ministry_owes_receipt_and_relay_until_it_gives_each(demo_user):
    ministry = demo_user("demo-ministry")
    before = counts(ministry)
    original = hub_alert(demo_user, ceptoars=["banks"])
    after = counts(ministry)
    assert after["unacknowledged"] == before["unacknowledged"] + 1
    assert after["unrelayed"] == before["unrelayed"] + 1

    publication.relay(original, ministry)
    assert counts(ministry)["unrelayed"] == before["unrelayed"]
    assert counts(ministry)["unacknowledged"] == before["unacknowledged"] + 1
    recipient = Recipient.objects.get(alert=original, organisation=ministry.organisation)
    acknowledgements.acknowledge(recipient, AcknowledgementVia.PORTAL, by_user=ministry)
    assert counts(ministry)["unacknowledged"] == before["unacknowledged"]


def test_an_alert_the_sender_forbade_to_relay_is_not_owed_onward(demo_user):
    ministry = demo_user("demo-ministry")
    before = counts(ministry)["unrelayed"]
    hub = demo_user("demo-hub")
    draft = drafts.create_draft(
        hub,
        title="Not to be passed on",
        body="本文",
        category="malware",
        severity="high",
        tlp=Tlp.GREEN,
        audience=AudienceSpec(ceptoars=["banks"]),
        no_onward_relay=True,
    )
    publication.submit(draft, hub)
    assert counts(ministry)["unrelayed"] == before


def test_a_second_person_sees_the_alert_to_approve_and_the_author_does_not(demo_user):
    secretariat = demo_user("demo-secretariat")
    author = person("banks-second-sender", secretariat.organisation, Role.SECRETARIAT)
    before = counts(secretariat)["alerts_to_approve"]
    draft = drafts.create_draft(
        author,
        title="Needs a second pair of eyes",
        body="本文",
        category="malware",
        severity="high",
        tlp=Tlp.GREEN,
        audience=AudienceSpec(ceptoars=["banks"]),
        requires_approval=True,
    )
    alert = publication.submit(draft, author)
    assert counts(secretariat)["alerts_to_approve"] == before + 1
    assert counts(author)["alerts_to_approve"] == before
    assert counts(demo_user("demo-hub"))["alerts_to_approve"] == 0

    approval.approve(alert, secretariat)
    assert counts(secretariat)["alerts_to_approve"] == before


def test_the_originator_sees_relay_requests_and_the_asker_owes_no_relay_meanwhile(demo_user):
    hub, ministry = demo_user("demo-hub"), demo_user("demo-ministry")
    draft = drafts.create_draft(
        hub,
        title="Relay only with our approval",
        body="本文",
        category="vulnerability",
        severity="high",
        tlp=Tlp.AMBER,
        audience=AudienceSpec(sectors=["finance"], organisations=["fsa"]),
        relay_needs_originator_approval=True,
    )
    alert = publication.submit(draft, hub)
    unrelayed = counts(ministry)["unrelayed"]
    request = relay_approval.do_ask(alert, ministry, audience=AudienceSpec(ceptoars=["banks"]))
    items = {item.key: item for item in todo.todo_for(hub).items}
    assert items["relays_to_approve"].count == 1
    assert items["relays_to_approve"].url == reverse("alerts:detail", args=[alert.pk]) + "#relay-approvals"
    # Waiting on the originator is not the ministry's to do.
    assert counts(ministry)["unrelayed"] == unrelayed - 1
    assert counts(ministry)["relays_to_approve"] == 0

    relay_approval.do_grant(request, hub)
    assert counts(hub)["relays_to_approve"] == 0


def test_the_secretariat_sees_new_and_overdue_reports_until_triaged_or_closed(client_as, demo_user):
    secretariat, member = demo_user("demo-secretariat"), demo_user("demo-member")
    coordinator = demo_user("demo-coordinator")
    before = counts(secretariat)
    other_before = counts(coordinator)
    fresh = send_report(member, title="Fresh report", detected_ago=timedelta(hours=1))
    late = send_report(member, title="Late report", detected_ago=timedelta(days=30))
    after = counts(secretariat)
    assert counts(coordinator) == other_before
    assert after["reports_new"] == before["reports_new"] + 2
    assert after["reports_overdue"] == before["reports_overdue"] + 1

    triage.set_status(secretariat, fresh, TriageStatus.TRIAGED)
    assert counts(secretariat)["reports_new"] == before["reports_new"] + 1
    triage.set_status(secretariat, late, TriageStatus.CLOSED)
    after = counts(secretariat)
    assert after["reports_new"] == before["reports_new"]
    assert after["reports_overdue"] == before["reports_overdue"]
    # Another CEPTOAR's secretariat saw none of them.
    assert counts(coordinator)["reports_new"] == other_before["reports_new"]
    html = home(client_as("demo-secretariat"))
    assert shown(html)["reports_new"] == before["reports_new"]


def test_the_reporter_answers_questions_and_approves_its_case(client_as, demo_user):
    secretariat, member = demo_user("demo-secretariat"), demo_user("demo-member")
    report = send_report(member, title="Asked about")
    triage.set_status(
        secretariat, report, TriageStatus.MORE_INFORMATION, comment="復旧の見込みを教えてください。"
    )
    items = {item.key: item for item in todo.todo_for(member).items}
    assert items["reports_questions"].count == 1
    assert items["reports_questions"].url == reverse("reports:detail", args=[report.pk])
    assert counts(demo_user("demo-member2"))["reports_questions"] == 0

    case = cases.create_case(secretariat, report)
    assert counts(member)["cases_to_approve"] == 0  # still under the secretariat's review
    cases.send_for_approval(secretariat, case)
    html = home(client_as("demo-member"))
    assert shown(html)["cases_to_approve"] == 1
    assert reverse("reports:case_approval", args=[case.pk]) in html
    assert counts(demo_user("demo-member2"))["cases_to_approve"] == 0

    cases.approve_case(member, case)
    assert counts(member)["cases_to_approve"] == 0


def test_contacts_to_reverify_and_rules_to_accept_go_down_when_done(demo_user):
    member, secretariat = demo_user("demo-member"), demo_user("demo-secretariat")
    before = counts(member)
    secretariat_rules = counts(secretariat)["rules_to_accept"]
    contact = Contact.objects.filter(organisation=member.organisation, is_active=True).order_by("pk").first()
    flag_for_reverification(Contact.objects.filter(pk=contact.pk), reason="test")
    assert counts(member)["stale_contacts"] == before["stale_contacts"] + 1
    mark_contact_verified(contact)
    assert counts(member)["stale_contacts"] == before["stale_contacts"]

    banks = Organisation.objects.get(code="banks")
    today = timezone.localdate()
    rules, _notified = do_publish_rules(
        secretariat,
        banks,
        RulesDraft(
            title="情報取扱いルール 改訂版",
            text="本文",
            change_summary="改訂",
            enacted_on=today,
        ),
    )
    items = {item.key: item for item in todo.todo_for(member).items}
    assert items["rules_to_accept"].count == before["rules_to_accept"] + 1
    assert items["rules_to_accept"].url == reverse(
        "registry:organisation_rules", args=[member.organisation.code]
    )
    # The secretariat does not accept for its members.
    assert counts(secretariat)["rules_to_accept"] == secretariat_rules
    do_accept_rules(member, member.organisation, rules, accepted_by_name="構成員 POC")
    assert counts(member)["rules_to_accept"] == before["rules_to_accept"]


def test_the_organiser_sees_its_running_exercise(demo_user):
    secretariat = demo_user("demo-secretariat")
    exercise = plan(secretariat, injects=0, ceptoars=["banks"])
    assert counts(secretariat)["exercises_running"] == 0
    running.start(exercise, secretariat)
    items = {item.key: item for item in todo.todo_for(secretariat).items}
    assert items["exercises_running"].count == 1
    assert items["exercises_running"].url == reverse("exercises:detail", args=[exercise.pk])
    assert counts(demo_user("demo-hub"))["exercises_running"] == 0
    running.finish(exercise, secretariat)
    assert counts(secretariat)["exercises_running"] == 0


@pytest.mark.parametrize("username", ["demo-secretariat", "demo-member", "demo-ministry"])
def test_the_list_takes_the_same_queries_however_many_items(demo_user, username):
    user = demo_user(username)
    user.organisation  # noqa: B018 - loaded before counting, as the request's middleware does
    todo.todo_for(user)  # roles and the like, cached on the user

    with CaptureQueriesContext(connection) as few:
        todo.todo_for(user)
    for number in range(3):
        original = hub_alert(demo_user, ceptoars=["banks"])
        fsa = publication.relay(original, demo_user("demo-ministry"))
        publication.relay(fsa, demo_user("demo-secretariat"))
        send_report(demo_user("demo-member"), title=f"Report {number}", detected_ago=timedelta(days=30))
    with CaptureQueriesContext(connection) as many:
        result = todo.todo_for(user)
    assert len(many.captured_queries) == len(few.captured_queries) <= 4
    assert result.total > 0


def test_the_header_and_the_home_page_compute_the_list_once(client_as, monkeypatch):
    calls = []
    real = todo.todo_for

    def counted(user):
        calls.append(user.pk)
        return real(user)

    monkeypatch.setattr(todo, "todo_for", counted)
    client = client_as("demo-secretariat")
    home(client)
    assert len(calls) == 1
    client.get(reverse("registry:tree"))
    assert len(calls) == 2
