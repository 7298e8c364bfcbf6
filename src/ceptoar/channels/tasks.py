"""Background tasks (django-tasks, database backend): run by `ceptoar worker`. Enqueued by their path
(`services.queue.SEND_TASK`), the name their rows carry."""

from __future__ import annotations

from django_tasks import task

from ceptoar.channels.services.sending import send_batch


@task()
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    return send_batch(delivery_ids)
