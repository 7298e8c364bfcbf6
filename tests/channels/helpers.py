from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.models import Delivery
from ceptoar.registry.models import POC_ROLES, ChannelKind, Contact, ContactChannel, Organisation


def publish(
    user,
    *,
    title="ガス供給システムへの攻撃の兆候",
    body="詳細: 不審な通信を確認しました。",
    tlp="green",
    **audience,
):
    spec = AudienceSpec(**(audience or {"ceptoars": ["gas"]}))
    draft = drafts.create_draft(
        user, title=title, body=body, category="malware", severity="high", tlp=tlp, audience=spec
    )
    return publication.submit(draft, user)


def add_channel(organisation_code: str, kind: str, value: str) -> ContactChannel:
    contact = Contact.objects.filter(
        organisation=Organisation.objects.get(code=organisation_code), role__in=POC_ROLES, is_active=True
    ).first()
    return ContactChannel.objects.create(contact=contact, kind=kind, value=value, position=99)


def run_due_tasks(limit: int = 50, task_path: str | None = None) -> int:
    """Run what the worker would run now (only the tasks of `task_path`, if given), through django-tasks-db's
    own Worker.run_task.

    (Worker.run's loop closes the database connection, which the test's transaction cannot survive.)"""
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
        ready = DBTaskResult.objects.ready().select_for_update(skip_locked=True)
        if task_path is not None:
            ready = ready.filter(task_path=task_path)
        task = ready.order_by("enqueued_at").first()
        if task is None:
            return ran
        task.claim("test-worker")
        worker.run_task(task)
        ran += 1
    return ran


def travel_past_backoff() -> None:
    """Make every retry due now, as if its backoff had passed."""
    past = timezone.now() - timedelta(seconds=1)
    Delivery.objects.filter(next_attempt_at__isnull=False).update(next_attempt_at=past)
    DBTaskResult.objects.filter(status="READY").update(run_after=past)


def mail_parts(message) -> tuple[str, str]:
    """An alert e-mail's plain-text and HTML parts, as received: it must be multipart/alternative with
    exactly these two, plain text first (mail programs show the last part they can)."""
    assert message.get_content_type() == "multipart/alternative", message.get_content_type()
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    # Lines as sent (CRLF on the wire) read back as lines.
    return (
        message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n"),
        message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n"),
    )


__all__ = ["ChannelKind", "add_channel", "mail_parts", "publish", "run_due_tasks", "travel_past_backoff"]


class StallingMailBox:
    """Accepts at once, except the message numbered `stall_at` (from 1), which it holds for `pause`
    seconds before answering; it notes when the hold began and ended."""

    def __init__(self, stall_at: int, pause: float) -> None:
        self.stall_at, self.pause = stall_at, pause
        self.accepted = 0
        self.held: tuple[float, float] | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.accepted + 1 == self.stall_at:
            began = time.monotonic()
            await asyncio.sleep(self.pause)
            self.held = (began, time.monotonic())
        self.accepted += 1
        return "250 OK"
