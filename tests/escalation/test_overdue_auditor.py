"""The overdue auditor counts steps past their time, unsent deliveries and call-list entries nobody called."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ceptoar.alerts.models import Recipient
from ceptoar.channels.models import Delivery
from ceptoar.escalation import calls, services
from ceptoar.escalation.models import CallOutcome, OverdueReport
from tests.escalation.helpers import after, banks_alert, recipient

pytestmark = pytest.mark.django_db


def test_a_fresh_alert_is_not_overdue(demo_user):
    alert = banks_alert(demo_user)
    assert services.audit_overdue(now=after(alert, 1)) == 0
    assert OverdueReport.objects.get().total == 0


def test_steps_and_deliveries_left_undone_are_reported(demo_user):
    alert = banks_alert(demo_user)
    recipients = Recipient.objects.filter(alert=alert).count()
    unsent = Delivery.objects.filter(alert=alert).count()
    Delivery.objects.filter(alert=alert).update(created_at=alert.published_at)
    total = services.audit_overdue(now=after(alert, 40))
    report = OverdueReport.objects.get()
    assert report.late_follow_ups == recipients
    assert report.stuck_deliveries == unsent
    assert total == recipients + unsent


def test_call_list_entries_without_a_call_are_reported_until_someone_calls(demo_user):
    alert = banks_alert(demo_user)
    for minutes in (31, 61, 121):
        services.run_due_follow_ups(now=after(alert, minutes))
    Delivery.objects.update(status="sent")
    listed = Recipient.objects.filter(alert=alert).count()
    services.audit_overdue(now=after(alert, 121) + timedelta(minutes=61))
    assert OverdueReport.objects.latest("ran_at").unanswered_call_list == listed
    calls.log_call(
        demo_user("demo-secretariat"), recipient(alert, "banks-0001").pk, None, "03", CallOutcome.NO_ANSWER
    )
    services.audit_overdue(now=after(alert, 121) + timedelta(minutes=62))
    assert OverdueReport.objects.latest("ran_at").unanswered_call_list == listed - 1
