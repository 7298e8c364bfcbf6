"""Sent deliveries are marked in groups (channels.services._SentMarks), and never left unmarked while the
worker waits on a slow mail server: what a killed worker had sent is on record."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from ceptoar.channels.base import Outgoing
from ceptoar.channels.email import EmailChannel
from ceptoar.channels.models import Delivery, DeliveryStatus
from ceptoar.channels.services import _SentMarks, claim, send_batch

from .helpers import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(demo_user):
    alert = publish(demo_user("demo-secretariat"), ceptoars=["banks"])
    ids = list(Delivery.objects.filter(alert=alert).order_by("pk").values_list("pk", flat=True))[:60]
    assert len(ids) > _SentMarks.MAX_PENDING
    return claim(ids, "worker-a")


def statuses(deliveries) -> list[str]:
    return list(
        Delivery.objects.filter(pk__in=[d.pk for d in deliveries])
        .order_by("pk")
        .values_list("status", flat=True)
    )


def test_a_group_is_written_when_full_each_row_with_its_own_time(claimed):
    marks = _SentMarks("worker-a")
    group = claimed[: marks.MAX_PENDING]
    for delivery in group[:-1]:
        marks.add(delivery.pk)
    assert set(statuses(group)) == {DeliveryStatus.SENDING}  # not yet written
    marks.add(group[-1].pk)
    assert set(statuses(group)) == {DeliveryStatus.SENT} and not marks.pending
    rows = Delivery.objects.filter(pk__in=[d.pk for d in group]).order_by("pk")
    times = list(rows.values_list("sent_at", flat=True))
    assert times == sorted(times) and len(set(times)) > 1
    assert set(rows.values_list("claimed_by", flat=True)) == {""}


def test_an_old_group_is_written_on_the_next_mark(claimed):
    marks = _SentMarks("worker-a")
    marks.add(claimed[0].pk)
    time.sleep(marks.MAX_AGE_S * 1.5)
    marks.add(claimed[1].pk)
    assert statuses(claimed[:2]) == [DeliveryStatus.SENT, DeliveryStatus.SENT]


def test_a_row_the_sweeper_gave_to_another_worker_is_left_to_it(claimed):
    marks = _SentMarks("worker-a")
    mine, swept = claimed[0], claimed[1]
    Delivery.objects.filter(pk=swept.pk).update(claimed_by="worker-b")
    marks.add(mine.pk)
    marks.add(swept.pk)
    marks.flush()
    assert statuses([mine, swept]) == [DeliveryStatus.SENT, DeliveryStatus.SENDING]
    assert Delivery.objects.get(pk=swept.pk).claimed_by == "worker-b"


def test_the_batch_marks_what_it_sent_before_it_returns(claimed, smtp_server):
    ids = [d.pk for d in claimed]
    Delivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.PENDING, claimed_by="")
    outcome = send_batch(ids, "worker-c")
    assert outcome["sent"] == len(ids) == len(smtp_server.messages)
    assert set(statuses(claimed)) == {DeliveryStatus.SENT}


class SlowMailBox:
    """Answers each DATA after a pause longer than a quick reply takes."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.pause)
        self.accepted += 1
        return "250 OK"


def test_the_mail_channel_asks_for_the_marks_before_it_waits_on_a_slow_server(smtp_port, claimed):
    from aiosmtpd.controller import Controller

    mailbox = SlowMailBox(pause=EmailChannel.QUICK_REPLY_S * 10)
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        channel = EmailChannel()
        waits: list[int] = []
        channel.before_waiting = lambda: waits.append(mailbox.accepted)
        for delivery in claimed[:3]:
            channel.send(
                Outgoing(
                    delivery_id=delivery.pk,
                    address=delivery.address,
                    alert=delivery.alert,
                    with_content=True,
                    portal_url="http://example.invalid/",
                )
            )
        channel.close()
    finally:
        controller.stop()
    # Each message's final answer was slow: the hook ran before the worker blocked on each of them.
    assert mailbox.accepted == 3
    assert waits.count(0) >= 1 and 1 in waits and 2 in waits


def test_marks_written_late_keep_the_time_the_server_accepted(claimed):
    marks = _SentMarks("worker-a")
    before = timezone.now()
    marks.add(claimed[0].pk)
    time.sleep(0.01)
    marks.flush()
    sent_at = Delivery.objects.get(pk=claimed[0].pk).sent_at
    assert before <= sent_at < before + timedelta(seconds=0.01)
