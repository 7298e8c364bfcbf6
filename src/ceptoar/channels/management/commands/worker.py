"""`ceptoar worker`: the background worker of this installation."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import threading

from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError
from django.urls import reverse
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from ceptoar.utilities import reconnect
from ceptoar.utilities.periodic import PeriodicJob, PeriodicRunner, configured_jobs

logger = logging.getLogger(__name__)

# How long a stopping worker waits for a periodic job that is half way through.
_STOP_GRACE_S = 10


class ReconnectingWorker(Worker):
    """django-tasks-db's worker loop, made to outlive its database connection.

    Its loop lets any database error but "database is locked" end the process, and a task's outcome that
    cannot be written (the connection the task broke on) escapes too, leaving the task row `RUNNING` for
    good. Here the loop waits for the database and starts again, and writing a task's outcome waits for
    the database rather than fail. A send batch carries on by itself (channels.services.sending.send_batch)."""

    def shutdown(self, signum, frame) -> None:
        # A batch or a job waiting for the database stops waiting: the process is to stop.
        reconnect.stopping.set()
        super().shutdown(signum, frame)

    def run(self) -> None:
        while True:
            try:
                return super().run()
            except (OperationalError, InterfaceError) as error:
                if not reconnect.connection_lost(error):
                    raise
                if not self.running or not reconnect.wait_for_database("The worker", error):
                    # Asked to stop while the database is away: a task it was running stays claimed, and
                    # its deliveries go back to pending when their lease runs out (the sweeper).
                    logger.warning("The worker stops without the database")
                    return
                self.startup_delay = False  # a restart of the loop, not of the worker

    def run_task(self, db_task_result) -> None:
        # The task's outcome is written through the connection it may have lost: wait for the database
        # rather than leave the row `RUNNING` (writing an outcome twice writes the same values).
        for name in ("set_successful", "set_failed"):
            write = getattr(db_task_result, name)
            setattr(db_task_result, name, _outcome_writer(write, db_task_result.pk))
        super().run_task(db_task_result)


def _outcome_writer(write, task_id):
    def write_waiting(value) -> None:
        reconnect.retrying(lambda: write(value), what=f"Task {task_id}")

    return write_waiting


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background worker: sends alert deliveries (e-mail, webhook, chat) from the task queue "
        "in the database (django-tasks-db's db_worker loop, with all its options), and runs the periodic "
        "jobs in a thread of its own: the sweeper (every --sweep-interval seconds it returns deliveries "
        "left 'sending' longer than --lease seconds, because their worker died, to pending), escalation "
        "follow-ups (every 30 s) and the overdue auditor (every 300 s). Start as many workers on as many "
        "hosts as needed: on PostgreSQL they share work through row locks (SELECT ... FOR UPDATE SKIP "
        "LOCKED). --batch runs each periodic job once, then the tasks that are due, and exits. A worker "
        "outlives its database: when the connection is lost (a restart, a failover) it waits for the "
        "database and carries on, a batch half sent included; SIGTERM or SIGINT stops it, waiting or not."
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
            self.run_worker(**options)
        finally:
            stop.set()
            if thread is not None:
                thread.join(_STOP_GRACE_S)

    def run_worker(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options,
    ) -> None:
        """django-tasks-db's db_worker (0.13) `handle`, running a ReconnectingWorker."""
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("--reload and --batch cannot be specified together: not reloading.")
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ReconnectingWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child that does the work
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
