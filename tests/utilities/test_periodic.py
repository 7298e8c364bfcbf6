"""Periodic jobs of the worker: isolated from each other, each at its own interval, once per --batch.

The schedule is tested with a clock the test moves; the thread and the command with real processes."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from ceptoar.utilities.periodic import DEFAULT_JOBS, PeriodicJob, PeriodicRunner

CEPTOAR = str(Path(sys.executable).with_name("ceptoar"))
HERE = __name__  # dotted path of this module, for the test-local jobs below

calls: list[str] = []


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


clock = FakeClock()


def job_first() -> int:
    calls.append("first")
    return 1


def job_second() -> int:
    calls.append("second")
    return 2


def job_broken() -> int:
    calls.append("broken")
    raise RuntimeError("the database is on fire")


def job_slow() -> int:
    calls.append("slow")
    clock.now += 25  # takes longer than its own interval
    return 0


@pytest.fixture(autouse=True)
def fresh_state():
    calls.clear()
    clock.now = 1000.0


def job(name: str, interval: float) -> PeriodicJob:
    return PeriodicJob(name, interval, f"{HERE}.job_{name}")


def tick(runner: PeriodicRunner) -> float:
    """One tick in a thread of its own, as in the worker: its database connection is its own, not this
    test's (which other tests in the run may have used)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(runner.tick()))
    thread.start()
    thread.join(10)
    assert result, "the tick raised or hung"
    return result[0]


def test_the_default_jobs_are_the_sweeper_escalation_the_auditor_exercises_agreements_and_notifications():
    assert [(j.name, j.interval, j.target) for j in DEFAULT_JOBS] == [
        ("sweeper", 60, "ceptoar.channels.services.sweeper.sweep_stale"),
        ("escalation", 30, "ceptoar.escalation.services.run_due_follow_ups"),
        ("overdue-auditor", 300, "ceptoar.escalation.services.audit_overdue"),
        ("exercises", 30, "ceptoar.exercises.services.schedule.run_due"),
        ("agreements", 3600, "ceptoar.agreements.services.lifecycle.expire_due"),
        ("notifications", 300, "ceptoar.notifications.services.run_due"),
    ]


def test_a_failing_job_is_logged_under_its_name_and_the_others_still_run(caplog):
    runner = PeriodicRunner([job("first", 10), job("broken", 10), job("second", 10)], clock=clock)
    with caplog.at_level(logging.ERROR, logger="ceptoar.utilities.periodic"):
        tick(runner)
        clock.now += 10
        tick(runner)
    assert calls == ["first", "broken", "second"] * 2
    failures = [r for r in caplog.records if "'broken' failed" in r.getMessage()]
    assert len(failures) == 2
    assert "the database is on fire" in caplog.text  # the traceback is kept
    assert runner.last_result == {"first": 1, "broken": None, "second": 2}


def test_each_job_runs_at_its_own_interval():
    runner = PeriodicRunner([job("first", 10), job("second", 25)], clock=clock)
    next_due = tick(runner)  # both are due at once when the worker starts
    assert calls == ["first", "second"] and next_due == 1010
    for _ in range(10):  # 1010, 1015 … 1055
        clock.now += 5
        tick(runner)
    # In 55 s after the start: `first` every 10 s (5 more times), `second` every 25 s (2 more).
    assert calls.count("first") == 6 and calls.count("second") == 3


def test_a_job_slower_than_its_interval_is_neither_overlapped_nor_made_up_in_a_burst():
    runner = PeriodicRunner([job("slow", 10), job("first", 10)], clock=clock)
    tick(runner)  # slow runs 1000 → 1025; first is then due since 1000 and runs at 1025
    assert calls == ["slow", "first"]
    assert runner.next_due == {"slow": 1025, "first": 1035}
    clock.now = 1100  # the worker was busy for a long time: each job runs once, not 7 times
    tick(runner)
    assert calls == ["slow", "first", "slow", "first"]


def test_a_job_that_cannot_be_imported_is_reported_once_and_the_others_go_on(caplog):
    missing = PeriodicJob("escalation", 30, "ceptoar.no_such_module.run_due_follow_ups")
    runner = PeriodicRunner([missing, job("first", 30)], clock=clock)
    with caplog.at_level(logging.ERROR, logger="ceptoar.utilities.periodic"):
        for _ in range(3):
            tick(runner)
            clock.now += 30
    assert calls == ["first"] * 3
    reports = [r for r in caplog.records if "'escalation' is disabled" in r.getMessage()]
    assert len(reports) == 1 and "ceptoar.no_such_module" in reports[0].getMessage()


def test_job_names_are_unique_and_intervals_positive():
    with pytest.raises(ValueError, match="unique"):
        PeriodicRunner([job("first", 10), job("first", 20)])
    with pytest.raises(ValueError, match="positive"):
        PeriodicJob("first", 0, f"{HERE}.job_first")


def test_the_thread_runs_jobs_until_told_to_stop():
    runner = PeriodicRunner([job("first", 0.05), job("broken", 0.05)])
    stop = threading.Event()
    thread = runner.start(stop)
    deadline = time.monotonic() + 10
    while calls.count("first") < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(2)
    assert not thread.is_alive()
    assert calls.count("first") >= 3 and calls.count("broken") >= 2
    stopped_at = len(calls)
    time.sleep(0.2)
    assert len(calls) == stopped_at


# -- the real command --------------------------------------------------------------------------------

PROBE_SETTINGS = """
from ceptoar.settings import *  # noqa: F403

CEPTOAR_PERIODIC_JOBS = [
    ("sweeper", {sweeper}, "ceptoar.channels.services.sweeper.sweep_stale"),
    ("first", {fast}, "periodic_probe_jobs.first"),
    ("broken", {fast}, "periodic_probe_jobs.broken"),
    ("dirty", {slow}, "periodic_probe_jobs.dirty"),
    ("enqueuer", {slow}, "periodic_probe_jobs.enqueuer"),
    ("missing", {slow}, "periodic_probe_jobs_gone.nothing"),
]
"""

PROBE_JOBS = '''
"""Jobs that write what they did to the file PROBE_LOG, one line each."""
import os

from django.db import connection, transaction
from django_tasks import task


def _log(line):
    with open(os.environ["PROBE_LOG"], "a") as log:
        log.write(line + "\\n")


@task()
def record(line):
    _log(line)


def first():
    _log("first")
    return 1


def broken():
    _log("broken")
    raise RuntimeError("the probe job broke")


def dirty():
    # Leaves a transaction open with a task in it, then fails: a fresh connection must discard it.
    _log("dirty")
    transaction.set_autocommit(False)
    record.enqueue("task from the dirty job")
    raise RuntimeError("dirty job failed half way")


def enqueuer():
    _log("enqueuer")
    record.enqueue("task from the enqueuer")
    return 1
'''


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """A migrated SQLite file and a settings module whose periodic jobs are the probe jobs above."""
    root = tmp_path_factory.mktemp("periodic")
    (root / "periodic_probe_jobs.py").write_text(textwrap.dedent(PROBE_JOBS))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CEPTOAR_DEBUG")}
    python_path = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    env.update(CEPTOAR_VAR_DIR=str(root / "var"), PYTHONPATH=python_path, PROBE_LOG=str(root / "probe.log"))
    subprocess.run([CEPTOAR, "migrate", "-v0"], env=env, check=True, timeout=300)

    def configure(**intervals) -> dict:
        (root / "periodic_probe_settings.py").write_text(PROBE_SETTINGS.format(**intervals))
        (root / "probe.log").write_text("")
        return {**env, "DJANGO_SETTINGS_MODULE": "periodic_probe_settings"}

    configure.log = lambda: (root / "probe.log").read_text().splitlines()
    return configure


def test_batch_runs_each_job_once_then_the_tasks_they_enqueued(probe):
    env = probe(sweeper=60, fast=60, slow=60)
    result = subprocess.run(
        [CEPTOAR, "worker", "--batch", "--lease", "1", "--no-startup-delay"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # Each job once, in order; then the task the enqueuer committed. The dirty job's task was never
    # committed: its connection was closed (rolled back) before the next job ran.
    assert probe.log() == ["first", "broken", "dirty", "enqueuer", "task from the enqueuer"]
    assert "Periodic job 'broken' failed" in result.stderr and "the probe job broke" in result.stderr
    assert "Periodic job 'dirty' failed" in result.stderr
    assert "Periodic job 'missing' is disabled" in result.stderr
    assert "Periodic job 'sweeper'" not in result.stderr  # the real sweeper ran, and found nothing


def test_batch_without_periodic_jobs_runs_none(probe):
    env = probe(sweeper=60, fast=60, slow=60)
    result = subprocess.run(
        [CEPTOAR, "worker", "--batch", "--no-periodic", "--no-startup-delay"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert probe.log() == []


def test_running_worker_repeats_jobs_at_their_intervals_and_stops_cleanly(probe):
    env = probe(sweeper=0.2, fast=0.2, slow=3600)
    worker = subprocess.Popen(
        [CEPTOAR, "worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while probe.log().count("first") < 5 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        log = probe.log()
        assert log.count("first") >= 5, log
        # The failing job runs as often as its neighbour and does not stop it; the hourly ones ran once.
        assert log.count("broken") >= 4
        assert log.count("enqueuer") == 1 and log.count("dirty") == 1
        # The worker's own loop ran the enqueued task while the jobs went on in their thread.
        assert "task from the enqueuer" in log and "task from the dirty job" not in log
    finally:
        worker.send_signal(signal.SIGTERM)
        stdout, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
