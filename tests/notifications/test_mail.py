"""Notification e-mails as people receive them (a real SMTP server on loopback): each person's choice per
kind of event is honoured (at once, the daily digest, none), a digest is one e-mail per person per day with
every item, an SMTP failure is retried after a backoff, and no e-mail is ever sent twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ceptoar.notifications.models import Event, MailChoice, MailStatus, Notification, NotificationMail
from ceptoar.notifications.services import (
    SEND_TASK,
    Notice,
    do_notify,
    do_set_preferences,
    run_due,
    send_digests,
    send_mails,
)
from ceptoar.utilities.periodic import DEFAULT_JOBS
from tests.channels import conftest as channel_fixtures
from tests.notifications.helpers import run_notification_tasks, travel_past_backoff
from tests.reports.test_case_support import submitted_report

pytestmark = pytest.mark.django_db

smtp_port, smtp_server, smtp_down = (
    channel_fixtures.smtp_port,
    channel_fixtures.smtp_server,
    channel_fixtures.smtp_down,
)


def recipients(server) -> list[str]:
    return [message["To"].addresses[0].addr_spec for message in server.messages]


def comment_notice(report, number: int) -> Notice:
    return Notice(
        Event.REPORT_COMMENT, f"test-comment:{number}", f"報告 {number} にコメント", f"/reports/{report.pk}/"
    )


@pytest.fixture
def member_and_report(demo_user):
    member = demo_user("demo-member")
    report = submitted_report(member)
    # The submission told the secretariat; these tests look at the member's mail alone.
    NotificationMail.objects.all().delete()
    DBTaskResult.objects.all().delete()
    return member, report


def test_an_immediate_notification_is_mailed_once_the_change_commits_and_links_to_the_item(
    member_and_report, smtp_server
):
    member, report = member_and_report
    do_notify(comment_notice(report, 1), [member], item=report)
    # The send task is enqueued in the same transaction as the rows: a worker runs it.
    assert DBTaskResult.objects.filter(task_path=SEND_TASK, status="READY").count() == 1
    assert run_notification_tasks() == 1
    assert recipients(smtp_server) == [member.email]
    message = smtp_server.messages[0]
    text = message.get_content()
    assert "報告 1 にコメント" in message["Subject"] and f"/reports/{report.pk}/" in text
    assert "/notifications/settings/" in text  # where to change what comes by e-mail
    mail = NotificationMail.objects.get()
    assert (mail.status, mail.attempts, mail.sent_at is not None) == (MailStatus.SENT, 1, True)
    assert Notification.objects.get(key="test-comment:1").mail == mail


def test_a_person_who_chose_no_email_still_finds_it_in_the_portal(member_and_report, smtp_server):
    member, report = member_and_report
    do_set_preferences(member, {Event.REPORT_COMMENT: MailChoice.OFF})
    do_notify(comment_notice(report, 2), [member], item=report)
    run_notification_tasks()
    assert smtp_server.messages == [] and not NotificationMail.objects.exists()
    assert Notification.objects.filter(user=member, key="test-comment:2", read_at__isnull=True).exists()


def test_the_daily_digest_is_one_mail_per_person_per_day_with_every_item(member_and_report, smtp_server):
    member, report = member_and_report
    analyst = member.organisation.users.get(username="demo-analyst")
    for person in (member, analyst):
        do_set_preferences(person, {Event.REPORT_COMMENT: MailChoice.DIGEST})
    # The member takes rules at once: that one is mailed now and is not in the digest.
    for number in (3, 4, 5):
        do_notify(comment_notice(report, number), [member, analyst], item=report)
    do_notify(
        Notice(Event.RULES_TO_ACCEPT, "test-rules:1", "ルール改定", "/registry/rules/"), [member], item=None
    )
    run_notification_tasks()
    assert recipients(smtp_server) == [member.email]  # the rules, at once; the comments wait
    smtp_server.messages.clear()

    tomorrow = timezone.localtime() + timedelta(days=1)
    before_hour = timezone.make_aware(datetime.combine(tomorrow.date(), datetime.min.time()).replace(hour=6))
    assert send_digests(before_hour) == 0  # nothing before the digest hour
    morning = before_hour.replace(hour=8)
    assert send_digests(morning) == 2
    assert send_digests(morning + timedelta(hours=3)) == 0  # once a day, however often the job runs
    run_notification_tasks()
    assert sorted(recipients(smtp_server)) == sorted([member.email, analyst.email])
    for message in smtp_server.messages:
        text = message.get_content()
        assert all(f"報告 {number} にコメント" in text for number in (3, 4, 5))
        assert "ルール改定" not in text
    # Something new after today's digest waits for tomorrow's.
    do_notify(comment_notice(report, 6), [member], item=report)
    assert send_digests(morning + timedelta(hours=4)) == 0
    assert send_digests(morning + timedelta(days=1)) == 1


def test_an_smtp_failure_is_retried_after_a_backoff_and_nothing_is_sent_twice(member_and_report, smtp_down):
    member, report = member_and_report
    do_notify(comment_notice(report, 7), [member], item=report)
    run_notification_tasks()  # nothing listens: the server is down
    mail = NotificationMail.objects.get()
    assert (mail.status, mail.attempts) == (MailStatus.RETRYING, 1)
    assert mail.next_attempt_at > timezone.now() and mail.last_error
    # The retry is a task that waits for its time; before then nothing is tried.
    assert run_notification_tasks() == 0

    smtp_down.start()
    travel_past_backoff()
    assert run_notification_tasks() == 1
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (MailStatus.SENT, 2)
    assert recipients(smtp_down) == [member.email]

    # A sent mail is never claimed again: not by its task run once more, nor by the periodic job.
    assert send_mails([mail.pk]) == {"sent": 0, "retrying": 0, "failed": 0}
    run_due(timezone.now() + timedelta(hours=1))
    assert recipients(smtp_down) == [member.email]
    # The same event told again writes no second row and sends nothing.
    do_notify(comment_notice(report, 7), [member], item=report)
    run_notification_tasks()
    assert NotificationMail.objects.count() == 1 and len(smtp_down.messages) == 1


def test_a_refused_address_fails_for_good_at_once(member_and_report, smtp_server):
    member, report = member_and_report
    member.email = "nosuch-person@example.jp"
    member.save(update_fields=["email"])
    do_notify(comment_notice(report, 8), [member], item=report)
    run_notification_tasks()
    mail = NotificationMail.objects.get()
    assert (mail.status, mail.attempts) == (MailStatus.FAILED, 1) and "550" in mail.last_error


def test_the_periodic_job_sends_what_a_lost_task_left_and_returns_a_dead_workers_rows(
    member_and_report, smtp_server
):
    member, report = member_and_report
    assert any(
        job.name == "notifications" and job.target.endswith("services.run_due") for job in DEFAULT_JOBS
    )
    do_notify(comment_notice(report, 9), [member], item=report)
    do_notify(comment_notice(report, 10), [member], item=report)
    DBTaskResult.objects.all().delete()  # the tasks were lost
    lost, dead = NotificationMail.objects.order_by("pk")
    NotificationMail.objects.filter(pk=dead.pk).update(
        status=MailStatus.SENDING, claimed_at=timezone.now() - timedelta(hours=1), attempts=1
    )
    assert run_due(timezone.now() + timedelta(minutes=2)) >= 2
    run_notification_tasks()
    assert sorted(NotificationMail.objects.values_list("status", flat=True)) == [MailStatus.SENT] * 2
    assert recipients(smtp_server) == [member.email, member.email]
    subjects = sorted(message["Subject"] for message in smtp_server.messages)
    assert "報告 10" in subjects[0] and "報告 9" in subjects[1]
