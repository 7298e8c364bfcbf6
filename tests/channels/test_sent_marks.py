"""Sent deliveries are marked in groups (channels.services.sending._SentMarks), and never left unmarked while the
worker waits on a slow mail server: what a killed worker had sent is on record."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from ceptoar.channels.models import Delivery, DeliveryStatus
from ceptoar.channels.services.sending import (
    _give_back,
    _Lease,
    _SendingThread,
    _SentMarks,
    claim,
    send_batch,
)

from .helpers import StallingMailBox, publish, run_due_tasks

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


def test_what_a_stalled_server_accepted_is_written_down_while_the_batch_waits(smtp_port, claimed):
    """A worker killed while its mail server stalls must have marked what the server had accepted: the
    batch writes the marks within a group's age while its sending thread waits for the answer."""
    from aiosmtpd.controller import Controller

    ids = [d.pk for d in claimed[:5]]
    Delivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.PENDING, claimed_by="")
    mailbox = StallingMailBox(stall_at=3, pause=_SendingThread.MAX_WAIT_S * 10)
    writes: list[tuple[float, list]] = []

    def watch(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "sent_at = CASE" in sql:
            writes.append((time.monotonic(), list(params)))
        return execute(sql, params, many, context)

    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with connection.execute_wrapper(watch):
            outcome = send_batch(ids, "worker-d")
    finally:
        controller.stop()
    assert outcome["sent"] == 5 and mailbox.held is not None
    _began, ended = mailbox.held
    before_the_answer = {value for at, params in writes if at < ended for value in params}
    # The two messages accepted before the stall were written down before it ended, not after the batch.
    assert set(ids[:2]) <= before_the_answer and not set(ids[2:]) & before_the_answer
    assert set(statuses(claimed[:5])) == {DeliveryStatus.SENT}


def test_marks_written_late_keep_the_time_the_server_accepted(claimed):
    marks = _SentMarks("worker-a")
    before = timezone.now()
    marks.add(claimed[0].pk)
    time.sleep(0.01)
    marks.flush()
    sent_at = Delivery.objects.get(pk=claimed[0].pk).sent_at
    assert before <= sent_at < before + timedelta(seconds=0.01)


def test_what_a_batch_cut_off_from_its_database_had_not_sent_goes_back_at_once(claimed, smtp_server):
    """A batch that loses its connection where it does not wait for the database returns its unsent rows to
    pending with a send task of their own, rather than leave them to the lease; sent and lost rows stay."""
    from django_tasks_db.models import DBTaskResult

    ids = [d.pk for d in claimed[:6]]
    lease, marks = _Lease("worker-a", ids), _SentMarks("worker-a")
    marks.add(ids[0])
    lease.done(ids[0])
    marks.flush()
    Delivery.objects.filter(pk=ids[1]).update(claimed_by="worker-b")  # the sweeper gave it to another
    DBTaskResult.objects.all().delete()

    assert _give_back(lease, "worker-a") == 4
    rows = Delivery.objects.filter(pk__in=ids[2:])
    assert set(rows.values_list("status", "claimed_by", "claimed_at", "attempts")) == {
        (DeliveryStatus.PENDING, "", None, 0)  # the claim's try was never made
    }
    assert [task.args_kwargs["args"][0] for task in DBTaskResult.objects.filter(status="READY")] == [ids[2:]]

    assert run_due_tasks() == 1
    assert statuses(claimed[:6]) == [DeliveryStatus.SENT, DeliveryStatus.SENDING] + [DeliveryStatus.SENT] * 4
    assert sorted(str(m["Message-ID"]) for m in smtp_server.messages) == sorted(
        f"<delivery-{pk}@127.0.0.1>" for pk in ids[2:]
    )
    assert set(rows.values_list("attempts", flat=True)) == {1}
