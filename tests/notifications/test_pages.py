"""The person's notifications page (unread and read, open to go to the item, mark read), the unread count
in the navigation, the settings page, and the list's queries bounded however many notifications there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ceptoar.notifications.models import Event, MailChoice, Notification, NotificationPreference
from ceptoar.notifications.services import Notice, do_notify
from tests.reports.test_case_support import submitted_report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def notify_member(user, report, count: int, start: int = 0) -> None:
    for number in range(start, start + count):
        do_notify(
            Notice(
                Event.REPORT_COMMENT,
                f"page-test:{number}",
                f"Comment number {number}",
                f"/reports/{report.pk}/",
            ),
            [user],
            item=report,
        )


def test_the_list_shows_unread_and_read_and_opening_one_marks_it_read_and_goes_to_the_item(
    client_as, demo_user
):
    member = demo_user("demo-member")
    report = submitted_report(member)
    notify_member(member, report, 3)
    client = client_as("demo-member")
    page = client.get(reverse("notifications:list")).content.decode()
    assert all(f"Comment number {number}" in page for number in range(3))
    # The navigation counts the unread ones on every page.
    assert 'id="nav-notifications"' in page and "3 unread" in page

    first = Notification.objects.get(user=member, key="page-test:0")
    response = client.get(reverse("notifications:open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    first.refresh_from_db()
    assert first.read_at is not None
    unread = client.get(reverse("notifications:list") + "?show=unread").content.decode()
    assert "Comment number 0" not in unread and "Comment number 1" in unread and "2 unread" in unread

    second = Notification.objects.get(user=member, key="page-test:1")
    response = client.post(reverse("notifications:mark_read"), {"notification": [second.pk]})
    assert response.status_code == 302
    assert list(
        Notification.objects.filter(user=member, read_at__isnull=True).values_list("key", flat=True)
    ) == ["page-test:2"]
    client.post(reverse("notifications:mark_read"))  # none chosen: all of them
    assert not Notification.objects.filter(user=member, read_at__isnull=True).exists()
    assert "nav-notifications" in client.get(reverse("notifications:list")).content.decode()


def test_nobody_opens_or_marks_another_persons_notification(client_as, demo_user):
    member = demo_user("demo-member")
    notify_member(member, submitted_report(member), 1)
    theirs = Notification.objects.get(user=member)
    client = client_as("demo-analyst")
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    client.post(reverse("notifications:mark_read"), {"notification": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "Comment number 0" not in client.get(reverse("notifications:list")).content.decode()


def test_the_settings_page_saves_each_choice_and_refuses_an_unknown_one(client_as, demo_user):
    member = demo_user("demo-member")
    client = client_as("demo-member")
    page = client.get(reverse("notifications:settings")).content.decode()
    assert "In the daily digest" in page and "A failure case you may see was published" in page
    data = {event.value: MailChoice.IMMEDIATE for event in Event}
    data[Event.CASE_PUBLISHED] = MailChoice.OFF
    data[Event.REPORT_COMMENT] = MailChoice.DIGEST
    response = client.post(reverse("notifications:settings"), data)
    assert response.status_code == 302
    saved = dict(NotificationPreference.objects.filter(user=member).values_list("event", "mail"))
    assert saved[Event.CASE_PUBLISHED] == MailChoice.OFF and saved[Event.REPORT_COMMENT] == MailChoice.DIGEST

    data[Event.REPORT_COMMENT] = "hourly"
    response = client.post(reverse("notifications:settings"), data)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert (
        NotificationPreference.objects.get(user=member, event=Event.REPORT_COMMENT).mail == MailChoice.DIGEST
    )


def test_the_list_page_needs_the_same_queries_for_few_or_many_notifications(client_as, demo_user):
    member = demo_user("demo-member")
    report = submitted_report(member)
    client = client_as("demo-member")
    notify_member(member, report, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("notifications:list")).status_code == 200
    notify_member(member, report, 25, start=3)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("notifications:list")).status_code == 200
    assert len(many) == len(few) and len(few) <= 12
