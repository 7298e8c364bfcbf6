"""`ceptoar worker`: the background worker of this installation."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from ceptoar.channels import services

logger = logging.getLogger(__name__)


def _sweep_forever(interval: float, lease_seconds: int, stop: threading.Event) -> None:
    while not stop.wait(interval):
        try:
            close_old_connections()
            services.sweep_stale(lease_seconds)
        except Exception:  # noqa: BLE001 - a failed sweep is retried at the next interval
            logger.exception("Sweeping stale deliveries failed")
        finally:
            connection.close()


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background worker: sends alert deliveries (e-mail, webhook, chat) from the task queue "
        "in the database (django-tasks-db's db_worker loop, with all its options), and every "
        "--sweep-interval seconds returns deliveries left 'sending' longer than --lease seconds (their "
        "worker died) to pending and enqueues them again. Start as many workers on as many hosts as "
        "needed: on PostgreSQL they share work through row locks (SELECT ... FOR UPDATE SKIP LOCKED). "
        "--batch sweeps once, runs what is due and exits."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=60.0,
            help="Seconds between sweeps for deliveries a dead worker left half done (default: %(default)s)",
        )
        parser.add_argument(
            "--lease",
            type=int,
            default=None,
            help="Seconds a delivery may stay 'sending' before it counts as abandoned "
            "(default: CEPTOAR_DELIVERY_LEASE_S, 300)",
        )

    def handle(self, *args, sweep_interval: float, lease: int | None, **options) -> None:
        from django.conf import settings

        lease_seconds = lease or settings.CEPTOAR_DELIVERY_LEASE_S
        services.sweep_stale(lease_seconds)
        stop = threading.Event()
        if not options.get("batch"):
            threading.Thread(
                target=_sweep_forever,
                args=(sweep_interval, lease_seconds, stop),
                name="delivery-sweeper",
                daemon=True,
            ).start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
