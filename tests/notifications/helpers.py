"""Running the notification mails' send task as the worker would, and nothing else the test enqueued (an
alert's deliveries have their own tests)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from ceptoar.notifications.models import NotificationMail
from ceptoar.notifications.services import SEND_TASK


def run_notification_tasks(limit: int = 50) -> int:
    """Run the due send tasks of notification mails through django-tasks-db's own Worker.run_task."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        task = DBTaskResult.objects.ready().filter(task_path=SEND_TASK).order_by("enqueued_at").first()
        if task is None:
            return ran
        task.claim("test-worker")
        worker.run_task(task)
        ran += 1
    return ran


def travel_past_backoff() -> None:
    """Make every retry due now, as if its backoff had passed."""
    past = timezone.now() - timedelta(seconds=1)
    NotificationMail.objects.filter(next_attempt_at__isnull=False).update(next_attempt_at=past)
    DBTaskResult.objects.filter(status="READY", task_path=SEND_TASK).update(run_after=past)
