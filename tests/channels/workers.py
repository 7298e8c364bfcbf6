"""Helpers for tests that run real `ceptoar worker` processes: publishing a fan-out and reading its state
through `ceptoar shell`, starting workers, and an SMTP sink on a loopback port in the test's process."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections import Counter

from aiosmtpd.controller import Controller

from tests.processes import free_port

# Publishes an alert from the banks CEPTOAR's secretariat to its first PUBLISH_MEMBERS members (each has
# one or two e-mail points of contact); prints the alert and its e-mail deliveries. With PUBLISH_TWICE, each
# send task is enqueued twice in a row, so that two workers claim the same deliveries at the same moment.
PUBLISH = """
import json, os
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from ceptoar.accounts.models import User
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.models import Delivery
from ceptoar.channels.tasks import send_deliveries

user = User.objects.get(username="demo-secretariat")
members = [f"banks-{i:04d}" for i in range(1, int(os.environ["PUBLISH_MEMBERS"]) + 1)]
with transaction.atomic():
    draft = drafts.create_draft(
        user, title=os.environ["PUBLISH_TITLE"], body="詳細: 不審な通信を確認しました。",
        category="malware", severity="high", tlp="green",
        audience=AudienceSpec(organisations=members),
    )
    alert = publication.submit(draft, user)
    emails = dict(Delivery.objects.filter(alert=alert, kind="email").values_list("pk", "address"))
    if os.environ.get("PUBLISH_TWICE"):
        tasks = [t for t in DBTaskResult.objects.filter(status="READY") if set(t.args_kwargs["args"][0]) <= set(emails)]
        for task in tasks:
            task.delete()
        for task in sorted(tasks, key=lambda t: t.args_kwargs["args"][0]):
            send_deliveries.enqueue(task.args_kwargs["args"][0])
            send_deliveries.enqueue(task.args_kwargs["args"][0])
print(json.dumps({"alert": alert.pk, "emails": emails, "tasks": DBTaskResult.objects.filter(status="READY").count()}))
"""

STATE = """
import json, os
from ceptoar.channels.models import Delivery
from django_tasks_db.models import DBTaskResult
rows = Delivery.objects.filter(alert_id=int(os.environ["ALERT"]), kind="email")
print(json.dumps({
    "status": {str(pk): status for pk, status in rows.values_list("pk", "status")},
    "attempts": {str(pk): attempts for pk, attempts in rows.values_list("pk", "attempts")},
    "task_workers": sorted({w for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) for w in ids}),
}))
"""


class Sink:
    """An SMTP server that accepts every message, except that it can stall on the n-th: it holds its answer
    to that DATA until released, then drops the message, as a server does whose client went away before
    it answered. Or, with `hold_from`, it holds its answer to the n-th message and every one after it
    until released, then accepts them all: each worker sending then waits on it, half way through a batch,
    and `held` counts them."""

    def __init__(self, stall_at: int | None = None, hold_from: int | None = None) -> None:
        self.stall_at = stall_at
        self.hold_from = hold_from
        self.received: list[tuple[str, tuple[str, ...]]] = []
        self.seen = 0
        self.held = 0
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.port = free_port()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1  # the event loop runs one handler step at a time
        if self.seen == self.stall_at:
            self.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            return "421 4.4.2 connection lost before the message was accepted"
        if self.hold_from is not None and self.seen >= self.hold_from and not self.release.is_set():
            self.held += 1
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((str(message["Message-ID"]), tuple(envelope.rcpt_tos)))
        return "250 OK"

    def hold(self, after: int) -> None:
        """Hold the answers again, from the message `after` the ones seen so far."""
        self.hold_from, self.held = self.seen + after, 0
        self.release.clear()

    def start(self) -> Sink:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def message_ids(self) -> Counter:
        return Counter(message_id for message_id, _rcpt in self.received)


def publish(installation, title: str, members: int, twice: bool = False) -> tuple[int, dict[int, str]]:
    env = {"PUBLISH_MEMBERS": str(members), "PUBLISH_TITLE": title}
    if twice:
        env["PUBLISH_TWICE"] = "1"
    published = installation.shell(PUBLISH, **env)
    return published["alert"], {int(pk): address for pk, address in published["emails"].items()}


def state(installation, alert: int) -> dict:
    return installation.shell(STATE, ALERT=str(alert))


def worker(installation, smtp: Sink, name: str, *options: str, **env):
    return installation.start(
        "worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.1",
        "--worker-id",
        name,
        *options,
        log=name,
        CEPTOAR_SMTP_PORT=str(smtp.port),
        **env,
    )


def expected_ids(emails: dict[int, str]) -> set[str]:
    return {f"<delivery-{pk}@127.0.0.1>" for pk in emails}
