"""The sweeper, a periodic job of `ceptoar worker`: deliveries a dead worker left `sending` go back to
pending with a send task, and deliveries left waiting without a live send task get one."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ceptoar.channels.models import CLAIMABLE_STATUSES, Delivery, DeliveryStatus
from ceptoar.channels.services.queue import SEND_TASK, enqueue_sends

logger = logging.getLogger(__name__)


def sweep_stale(lease_seconds: int | None = None) -> int:
    """Return deliveries a dead worker left in `sending` to pending, and enqueue them again; and give a send
    task to deliveries left waiting without one. Returns how many deliveries it took up."""
    lease = timedelta(seconds=lease_seconds or settings.CEPTOAR_DELIVERY_LEASE_S)
    return _return_stale(lease) + requeue_stranded(lease)


def _return_stale(lease: timedelta) -> int:
    stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=timezone.now() - lease)
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            stale = stale.order_by().select_for_update(skip_locked=True, of=("self",))
        ids = list(stale.values_list("pk", flat=True))
        if not ids:
            return 0
        Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.PENDING,
            claimed_by="",
            claimed_at=None,
            next_attempt_at=None,
            last_error="returned by the sweeper: the worker's lease expired",
            cause="",
        )
        enqueue_sends(ids)
    logger.warning("Returned %d stale deliveries to pending", len(ids))
    return len(ids)


def _covered_by_live_tasks(lease: timedelta) -> set[int]:
    """The deliveries some send task will still claim: one waiting in the queue (a retry's waits for its
    time), or one running for less than a lease. A task row left running longer belonged to a worker that
    died between taking the task and claiming its deliveries."""
    live = DBTaskResult.objects.filter(task_path=SEND_TASK).filter(
        Q(status=TaskResultStatus.READY)
        | Q(status=TaskResultStatus.RUNNING, started_at__gte=timezone.now() - lease)
    )
    covered: set[int] = set()
    for args_kwargs in live.values_list("args_kwargs", flat=True).iterator():
        args = (args_kwargs or {}).get("args") or [[]]
        covered.update(args[0])
    return covered


def requeue_stranded(lease: timedelta) -> int:
    """Enqueue again the deliveries waiting to be sent (pending, or retrying) for longer than a lease with
    no send task that will take them: their task was lost with a worker killed after taking it and before
    claiming them, so they would otherwise wait for good. A task enqueued twice does no harm: the claim
    takes each row once."""
    waiting = list(
        Delivery.objects.filter(
            status__in=CLAIMABLE_STATUSES, created_at__lt=timezone.now() - lease
        ).values_list("pk", "next_attempt_at")
    )
    if not waiting:
        return 0
    covered = _covered_by_live_tasks(lease)
    stranded = [(pk, due) for pk, due in waiting if pk not in covered]
    if not stranded:
        return 0
    by_time: dict[datetime | None, list[int]] = defaultdict(list)
    for pk, due in stranded:
        # A retry keeps its time: enqueued for now, it would find its row not yet due and end.
        by_time[due if due is not None and due > timezone.now() else None].append(pk)
    with transaction.atomic():
        for due, ids in by_time.items():
            enqueue_sends(ids, run_after=due)
    logger.warning("Enqueued again %d deliveries left waiting without a send task", len(stranded))
    return len(stranded)
