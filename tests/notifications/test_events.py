"""Each event tells exactly the people it concerns, in the portal (and by e-mail, `test_mail.py`), and
nobody who may not see the item: the report's reporter and its hops, the second sender of an alert, the
reporter who approves a case, everyone a published case reaches, those who accept a rules version, the
originator asked to let a relay go and the person who asked."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from ceptoar.accounts.models import Role, User
from ceptoar.alerts.services import drafts, publication, relay_approval
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.notifications.models import Event, Notification, NotificationMail
from ceptoar.notifications.services import Notice, do_notify, portal_only
from ceptoar.registry.models import Organisation
from ceptoar.registry.services.rules_publication import RulesDraft, do_publish_rules
from ceptoar.reports.models import ConsentScope
from ceptoar.reports.services import comments, triage
from ceptoar.reports.services.analysis import do_forward_for_analysis, do_submit_analysis
from ceptoar.reports.services.cases import approve_case, create_case, publish_case, send_for_approval
from ceptoar.reports.services.drafts import start_follow_up
from ceptoar.reports.services.submission import submit
from ceptoar.sharing import policy
from ceptoar.sharing.models import Tlp
from tests.analysis.support import forward, send_report
from tests.reports.analysis_support import REPORT_TITLE, analysis_agreement, sent_report
from tests.reports.analysis_support import world as analysis_world
from tests.reports.test_case_support import submitted_report

pytestmark = pytest.mark.django_db


def told(event: str, key_prefix: str = "") -> set[str]:
    """Usernames notified of `event` (whose key starts with `key_prefix`)."""
    rows = Notification.objects.filter(event=event, key__startswith=key_prefix)
    return set(rows.values_list("user__username", flat=True))


def person(username: str, organisation: Organisation, role: str) -> User:
    user = User.objects.create_user(
        username=username, organisation=organisation, email=f"{username}@example.jp"
    )
    user.role_grants.create(role=role)
    return user


def test_a_first_report_tells_its_secretariat_and_a_forward_the_ministry_never_another_member(demo_user):
    member, secretariat = demo_user("demo-member"), demo_user("demo-secretariat")
    report = send_report(
        member,
        scope=ConsentScope.MINISTRY,
        event_type="unavailability",
        causes=["accidental.hardware_failure"],
        title="ATM停止",
    )
    arrived = told(Event.REPORT_ARRIVED)
    assert "demo-secretariat" in arrived
    # Not the reporter's own organisation, not another member of the same CEPTOAR, not the ministry yet.
    assert not arrived & {"demo-member", "demo-analyst", "demo-member2", "demo-ministry", "demo-hub"}
    assert all(policy.holds_report(User.objects.get(username=name), report) for name in arrived)

    forward(secretariat, report, "ministry")
    forwarded = told(Event.REPORT_ARRIVED, "report-forwarded:")
    assert (
        "demo-ministry" in forwarded and "demo-secretariat" not in forwarded and "demo-hub" not in forwarded
    )
    notification = Notification.objects.get(
        user__username="demo-ministry", key__startswith="report-forwarded:"
    )
    assert report.reference in notification.title and notification.url == f"/reports/{report.pk}/"


def test_a_request_for_more_information_and_comments_reach_the_other_side_only(demo_user):
    member, secretariat = demo_user("demo-member"), demo_user("demo-secretariat")
    report = submitted_report(member)

    triage.set_status(secretariat, report, "more_information", "復旧見込み時刻を教えてください。")
    asked = Notification.objects.filter(event=Event.REPORT_COMMENT)
    assert set(asked.values_list("user__username", flat=True)) >= {"demo-member", "demo-analyst"}
    assert "demo-secretariat" not in {n.user.username for n in asked}  # not the author
    assert "demo-member2" not in {n.user.username for n in asked}  # holds nothing of this report
    # Titles are written in the installation's language, as the e-mail that carries them.
    with translation.override(settings.LANGUAGE_CODE):
        expected = gettext("Report %(reference)s: more information is asked for") % {
            "reference": report.reference
        }
    assert {n.title for n in asked} == {expected}

    reply = comments.add_comment(member, report, "15時に復旧見込みです。")
    replied = told(Event.REPORT_COMMENT, f"report-comment:{reply.pk}")
    assert "demo-secretariat" in replied and "demo-member" not in replied
    assert "demo-analyst" in replied  # the reporter's colleague follows the conversation too

    note = comments.add_comment(secretariat, report, "内部メモ: 影響は限定的", internal=True)
    # An internal note is among the organisations the report reached: never the reporter's.
    assert not told(Event.REPORT_COMMENT, f"report-comment:{note.pk}") & {"demo-member", "demo-analyst"}


def test_an_alert_awaiting_approval_tells_the_other_senders_of_its_organisation(demo_user):
    author = demo_user("demo-secretariat")
    second = person("banks-second-sender", author.organisation, Role.SECRETARIAT)
    draft = drafts.create_draft(
        author,
        title="要承認の注意喚起",
        body="本文",
        category="malware",
        severity="high",
        tlp=Tlp.GREEN,
        audience=AudienceSpec(ceptoars=["banks"]),
        requires_approval=True,
    )
    alert = publication.submit(draft, author)
    assert told(Event.ALERT_APPROVAL) == {second.username}
    row = Notification.objects.get(event=Event.ALERT_APPROVAL)
    assert row.url == f"/alerts/{alert.pk}/" and "要承認" not in row.title  # a number, not the content


def test_a_case_asks_the_reporters_point_of_contact_and_its_publication_reaches_who_may_see_it(demo_user):
    member, secretariat = demo_user("demo-member"), demo_user("demo-secretariat")
    case = create_case(secretariat, submitted_report(member))
    send_for_approval(secretariat, case)
    # The point of contact approves; the analyst of the same organisation does not.
    assert told(Event.CASE_APPROVAL) == {"demo-member"}

    approve_case(member, case)
    publish_case(secretariat, case)
    published = told(Event.CASE_PUBLISHED)
    assert published, "a published case reaches someone"
    people = User.objects.filter(is_active=True, organisation__isnull=False).exclude(
        organisation_id=case.origin_organisation_id
    )
    may_see = {user.username for user in people if policy.may_see(user, case)}
    assert published == may_see
    assert "demo-water" not in published  # another sector's member may not see the banks' case


def test_rules_to_accept_tell_those_who_may_accept_for_a_bound_organisation(demo_user):
    secretariat = demo_user("demo-secretariat")
    banks = Organisation.objects.get(code="banks")
    rules, _addresses = do_publish_rules(
        secretariat,
        banks,
        RulesDraft(title="改定", text="第1条", change_summary="文言の整理", enacted_on=timezone.localdate()),
    )
    accepting = told(Event.RULES_TO_ACCEPT, f"rules:{rules.pk}")
    assert {"demo-member", "demo-member2"} <= accepting
    # The analyst may not accept, and a water utility is not bound by the banks' rules.
    assert not accepting & {"demo-analyst", "demo-water", "demo-secretariat"}


def test_a_relay_request_tells_the_originator_and_its_answer_the_asker(demo_user):
    hub, ministry = demo_user("demo-hub"), demo_user("demo-ministry")
    draft = drafts.create_draft(
        hub,
        title="要承認の中継",
        body="本文",
        category="vulnerability",
        severity="high",
        tlp=Tlp.AMBER,
        audience=AudienceSpec(sectors=["finance"]),
        relay_needs_originator_approval=True,
    )
    alert = publication.submit(draft, hub)
    request = relay_approval.do_ask(alert, ministry, audience=AudienceSpec(ceptoars=["banks"]))
    assert "demo-hub" in told(Event.RELAY_APPROVAL, f"relay-approval:{request.pk}:asked")
    assert "demo-ministry" not in told(Event.RELAY_APPROVAL, f"relay-approval:{request.pk}:asked")
    relay_approval.do_refuse(request, hub, reason="範囲が広すぎます")
    assert told(Event.RELAY_APPROVAL, f"relay-approval:{request.pk}:refused") == {"demo-ministry"}
    answer = NotificationMail.objects.get(address=ministry.email, key__startswith="notification:")
    assert "範囲が広すぎます" in answer.body and "要承認の中継" not in answer.body


def test_nobody_is_told_of_an_item_they_may_not_see(demo_user):
    """The policy is asked per person: a member of another CEPTOAR named by the caller gets nothing, no row
    and no e-mail."""
    member, outsider = demo_user("demo-member"), demo_user("demo-water")
    report = submitted_report(member)
    assert not policy.may_see(outsider, report)
    notice = Notice(Event.REPORT_COMMENT, "test:outsider", "テスト", f"/reports/{report.pk}/")
    assert do_notify(notice, [outsider], item=report) == []
    assert not Notification.objects.filter(key="test:outsider").exists()
    assert not NotificationMail.objects.filter(address=outsider.email).exists()
    # The same call for someone who may see it writes the row: the refusal above was the policy's.
    do_notify(notice, [member], item=report)
    assert told(Event.REPORT_COMMENT, "test:outsider") == {"demo-member"}


def test_the_same_event_twice_tells_nobody_twice(demo_user):
    member = demo_user("demo-member")
    report = submitted_report(member)
    notice = Notice(Event.REPORT_COMMENT, "test:twice", "テスト", f"/reports/{report.pk}/")
    do_notify(notice, [member], item=report)
    assert do_notify(notice, [member], item=report) == []
    assert Notification.objects.filter(key="test:twice").count() == 1
    assert (
        NotificationMail.objects.filter(address=member.email, key__contains=":")
        .filter(notifications__key="test:twice")
        .count()
        == 1
    )


def test_a_history_loaded_portal_only_is_told_in_the_portal_and_never_mailed(demo_user):
    member = demo_user("demo-member")
    report = submitted_report(member)
    tasks_before = DBTaskResult.objects.count()
    notice = Notice(Event.REPORT_COMMENT, "test:history", "テスト", f"/reports/{report.pk}/")
    with portal_only():
        assert do_notify(notice, [member], item=report, addresses=["poc@example.jp"]) == []
    assert told(Event.REPORT_COMMENT, "test:history") == {"demo-member"}
    row = Notification.objects.get(key="test:history")
    assert row.mail_id is None and not row.in_digest
    assert not NotificationMail.objects.filter(key__startswith="test:history").exists()
    assert not NotificationMail.objects.filter(notifications__key="test:history").exists()
    assert DBTaskResult.objects.count() == tasks_before
    # Outside the block, the next event is mailed again.
    later = Notice(Event.REPORT_COMMENT, "test:after-history", "テスト", f"/reports/{report.pk}/")
    assert do_notify(later, [member], item=report) == [member.email]


def test_a_follow_up_reaches_every_hop_and_a_forward_for_analysis_the_partners_people(demo_user):
    member, secretariat = demo_user("demo-member"), demo_user("demo-secretariat")
    report = send_report(
        member,
        scope=ConsentScope.MINISTRY,
        event_type="unavailability",
        causes=["accidental.hardware_failure"],
        title="続報のある障害",
    )
    forward(secretariat, report, "ministry")
    follow_up = start_follow_up(member, report)
    submit(member, follow_up)
    arrived = told(Event.REPORT_ARRIVED, f"report-version:{follow_up.pk}")
    assert {"demo-secretariat", "demo-ministry"} <= arrived
    assert not arrived & {"demo-member", "demo-analyst", "demo-hub", "demo-member2"}

    w = analysis_world()
    analysis_agreement()
    forwarded = do_forward_for_analysis(
        w.secretariat, sent_report(w.reporter, consent=True, triaged_by=w.secretariat), w.partner, tlp="amber"
    )
    partners = told(Event.REPORT_ARRIVED, f"analysis-forward:{forwarded.pk}")
    # The partner's people, each of whom may see the forward; not the reporter or the CEPTOAR that sent it.
    at_partner = User.objects.filter(organisation=w.partner, is_active=True)
    assert w.analyst.username in partners == set(at_partner.values_list("username", flat=True))
    assert not partners & {w.reporter.username, w.secretariat.username}
    row = Notification.objects.get(key=f"analysis-forward:{forwarded.pk}", user=w.analyst)
    assert row.url == f"/reports/analysis/forwards/{forwarded.pk}/" and REPORT_TITLE not in row.title

    analysis = do_submit_analysis(w.analyst, [forwarded], title="原因分析", text="本文", tlp="amber")
    returned = told(Event.REPORT_ARRIVED, f"partner-analysis:{analysis.pk}")
    # The CEPTOAR's people read it; the partner wrote it, and the reporter reads it only as the alert.
    assert w.secretariat.username in returned
    assert not returned & {w.analyst.username, w.reporter.username}


def test_nothing_is_told_or_queued_when_the_change_is_rolled_back(demo_user):
    member = demo_user("demo-member")
    report = submitted_report(member)
    before = (Notification.objects.count(), NotificationMail.objects.count(), DBTaskResult.objects.count())
    with pytest.raises(RuntimeError), transaction.atomic():
        comments.add_comment(demo_user("demo-secretariat"), report, "送られないコメント")
        raise RuntimeError("the change fails after the notification was written")
    after = (Notification.objects.count(), NotificationMail.objects.count(), DBTaskResult.objects.count())
    assert after == before
