"""Background tasks (django-tasks, database backend): run by `ceptoar worker`."""

from __future__ import annotations

from django_tasks import task


@task()
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    from ceptoar.channels.services import send_batch

    return send_batch(delivery_ids)
