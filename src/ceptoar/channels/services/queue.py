"""The send queue: deliveries handed to the send task, one task per batch.

The task (`channels.tasks.send_deliveries`) runs the sending code, and the sending code enqueues its own
retries here: the task is named by its path, the name its rows carry in the task table
(`DBTaskResult.task_path`) and by which the worker finds it, so the sending code and the task it runs
keep one direction between them instead of importing each other.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

SEND_TASK = "ceptoar.channels.tasks.send_deliveries"


@cache
def _send_task():
    return import_string(SEND_TASK)


def _chunks(ids: list[int], size: int):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def enqueue_sends(delivery_ids: list[int], run_after=None) -> None:
    """One task per batch. Through the database backend, the task row is part of the caller's transaction."""
    send_deliveries = _send_task()
    task = send_deliveries.using(run_after=run_after) if run_after else send_deliveries
    for chunk in _chunks(sorted(delivery_ids), settings.CEPTOAR_DELIVERY_BATCH_SIZE):
        task.enqueue(chunk)
