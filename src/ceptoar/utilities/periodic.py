"""Periodic jobs of the worker: the sweeper, escalation follow-ups, the overdue auditor, and exercises
(started, fed their injects and ended on their schedule), agreements past their end date, and notification
e-mails (those a lost task left, and the daily digests).

Each job is a function that takes no arguments and returns how many things it did. They run one after
another in a single background thread of `ceptoar worker`, each in its own database connection, so a job
that fails is logged under its name and never stops the others or the worker. A job that finds the database
gone makes the thread wait for it (one line in the log, not a traceback per job per tick); it runs again
when next due.
Several workers may run the same jobs at once: every job must tolerate that (they lock what they take).

Installations may replace the list with the setting CEPTOAR_PERIODIC_JOBS, a list of
(name, interval in seconds, dotted path) tuples.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

from ceptoar.utilities import reconnect

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval: float
    target: str  # dotted path; imported when the job first runs, so a job's module may come later
    kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError(
                f"periodic job {self.name!r}: the interval must be positive, not {self.interval}"
            )


DEFAULT_JOBS = (
    PeriodicJob("sweeper", 60, "ceptoar.channels.services.sweeper.sweep_stale"),
    PeriodicJob("escalation", 30, "ceptoar.escalation.services.run_due_follow_ups"),
    PeriodicJob("overdue-auditor", 300, "ceptoar.escalation.services.audit_overdue"),
    PeriodicJob("exercises", 30, "ceptoar.exercises.services.schedule.run_due"),
    PeriodicJob("agreements", 3600, "ceptoar.agreements.services.lifecycle.expire_due"),
    PeriodicJob("notifications", 300, "ceptoar.notifications.services.run_due"),
)


def configured_jobs() -> list[PeriodicJob]:
    configured = getattr(settings, "CEPTOAR_PERIODIC_JOBS", None)
    if configured is None:
        return list(DEFAULT_JOBS)
    return [job if isinstance(job, PeriodicJob) else PeriodicJob(*job) for job in configured]


class PeriodicRunner:
    """Runs jobs when they are due. `tick()` is the whole schedule, so it can be tested with a clock the
    test moves; `run_forever` only adds the sleeping in between."""

    def __init__(self, jobs: Iterable[PeriodicJob], clock: Callable[[], float] = time.monotonic) -> None:
        self.jobs = list(jobs)
        names = [job.name for job in self.jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"periodic job names must be unique: {names}")
        self.clock = clock
        self.next_due: dict[str, float] = {}
        self.last_result: dict[str, int | None] = {}
        # A job whose function cannot be imported is a configuration error that no retry will fix.
        self.disabled: set[str] = set()
        self._functions: dict[str, Callable[..., int]] = {}
        self.stop: threading.Event | None = None  # set by run_forever; ends a wait for the database

    def run_job(self, job: PeriodicJob) -> int | None:
        """Run one job now, in a fresh connection; returns its count, or None if it failed."""
        if job.name in self.disabled:
            return None
        count = None
        try:
            if job.name not in self._functions:
                self._functions[job.name] = import_string(job.target)
            close_old_connections()
            count = self._functions[job.name](**job.kwargs)
        except ImportError:
            logger.exception(
                "Periodic job %r is disabled until the worker restarts: cannot import %s",
                job.name,
                job.target,
            )
            self.disabled.add(job.name)
        except Exception as error:  # noqa: BLE001 - one job's failure must not stop the others
            if reconnect.connection_lost(error):
                reconnect.wait_for_database(f"Periodic job {job.name!r}", error, self.stop)
            else:
                logger.exception("Periodic job %r failed", job.name)
        else:
            if count:
                logger.info("Periodic job %r: %s", job.name, count)
        finally:
            # Never carry a connection (or a broken transaction) from one run to the next.
            connection.close()
        self.last_result[job.name] = count
        return count

    def run_all_once(self) -> dict[str, int | None]:
        return {job.name: self.run_job(job) for job in self.jobs}

    def tick(self) -> float:
        """Run every job that is due now (each job is due at once the first time); return when the next
        one is due. A job slower than its interval runs again right after, never twice at once, and missed
        runs are not made up in a burst."""
        for job in self.jobs:
            if self.stop is not None and self.stop.is_set():
                break  # stopping, perhaps while the database is away: start nothing more
            if job.name in self.disabled:
                continue
            started = self.clock()
            if self.next_due.get(job.name, started) <= started:
                self.run_job(job)
                self.next_due[job.name] = max(started + job.interval, self.clock())
        pending = [due for name, due in self.next_due.items() if name not in self.disabled]
        return min(pending) if pending else self.clock() + 3600

    def run_forever(self, stop: threading.Event) -> None:
        self.stop = stop
        while not stop.is_set():
            try:
                next_due = self.tick()
            except Exception:  # noqa: BLE001 - the thread must outlive anything; jobs catch their own
                logger.exception("Periodic jobs: the scheduler failed; trying again shortly")
                next_due = self.clock() + 5
            stop.wait(max(0.0, next_due - self.clock()))

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(stop,), name="periodic-jobs", daemon=True)
        thread.start()
        return thread
