"""The notification mails' send task (django-tasks, the database backend `ceptoar worker` runs), enqueued by
its path (`services.SEND_TASK`) so the sending code and the task keep one direction between them."""

from __future__ import annotations

from django_tasks import task

from ceptoar.notifications.services import send_mails


@task()
def send_notification_mails(mail_ids: list[int]) -> dict[str, int]:
    return send_mails(mail_ids)
