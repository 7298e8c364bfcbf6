"""`ceptoar worker`: the background worker of this installation."""

from __future__ import annotations

import dataclasses
import os
import sys
import threading

from django.urls import reverse
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from ceptoar.core.periodic import PeriodicJob, PeriodicRunner, configured_jobs

# How long a stopping worker waits for a periodic job that is half way through.
_STOP_GRACE_S = 10


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background worker: sends alert deliveries (e-mail, webhook, chat) from the task queue "
        "in the database (django-tasks-db's db_worker loop, with all its options), and runs the periodic "
        "jobs in a thread of its own: the sweeper (every --sweep-interval seconds it returns deliveries "
        "left 'sending' longer than --lease seconds, because their worker died, to pending), escalation "
        "follow-ups (every 30 s) and the overdue auditor (every 300 s). Start as many workers on as many "
        "hosts as needed: on PostgreSQL they share work through row locks (SELECT ... FOR UPDATE SKIP "
        "LOCKED). --batch runs each periodic job once, then the tasks that are due, and exits."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Only run tasks: no sweeper, no escalation follow-ups (another worker runs them)",
        )
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=None,
            help="Seconds between sweeps for deliveries a dead worker left half done (default: 60)",
        )
        parser.add_argument(
            "--lease",
            type=int,
            default=None,
            help="Seconds a delivery may stay 'sending' before it counts as abandoned "
            "(default: CEPTOAR_DELIVERY_LEASE_S, 300)",
        )

    def periodic_jobs(self, sweep_interval: float | None, lease: int | None) -> list[PeriodicJob]:
        jobs = []
        for job in configured_jobs():
            if job.name == "sweeper":
                if sweep_interval is not None:
                    job = dataclasses.replace(job, interval=sweep_interval)
                if lease is not None:
                    job = dataclasses.replace(job, kwargs={**job.kwargs, "lease_seconds": lease})
            jobs.append(job)
        return jobs

    def handle(
        self, *args, no_periodic: bool, sweep_interval: float | None, lease: int | None, **options
    ) -> None:
        runner = None if no_periodic else PeriodicRunner(self.periodic_jobs(sweep_interval, lease))
        # With --reload the first process only watches files and restarts a child that does the work.
        watcher_only = options.get("reload") and not options.get("batch")
        watcher_only = watcher_only and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not watcher_only:
            # The thread that talks to the mail server waits for Python's lock each time an answer comes
            # back while the batch's thread is busy: let it in sooner than the default 5 ms.
            sys.setswitchinterval(0.0005)
            # Build the URL map now rather than inside the first batch of the first alert: every e-mail
            # carries these links, and the first reverse() of a process takes a good part of a second.
            reverse("alerts:detail", args=[1])
            reverse("alerts:ack_link", args=["token"])
        stop = threading.Event()
        thread = None
        if runner is not None and not watcher_only:
            if options.get("batch"):
                # Jobs first: what the sweeper or escalation enqueues is among the tasks run below.
                runner.run_all_once()
            else:
                thread = runner.start(stop)
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            if thread is not None:
                thread.join(_STOP_GRACE_S)
