"""Running the notification mails' send task as the worker would, and nothing else the test enqueued (an
alert's deliveries have their own tests)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ceptoar.notifications.models import NotificationMail
from ceptoar.notifications.services import SEND_TASK
from tests.channels.helpers import run_due_tasks


def run_notification_tasks(limit: int = 50) -> int:
    """Run the due send tasks of notification mails, as the worker would."""
    return run_due_tasks(limit, task_path=SEND_TASK)


def travel_past_backoff() -> None:
    """Make every retry due now, as if its backoff had passed."""
    past = timezone.now() - timedelta(seconds=1)
    NotificationMail.objects.filter(next_attempt_at__isnull=False).update(next_attempt_at=past)
    DBTaskResult.objects.filter(status="READY", task_path=SEND_TASK).update(run_after=past)
