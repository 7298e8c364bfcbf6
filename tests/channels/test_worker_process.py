"""Real `ceptoar worker` processes on a fan-out: killed half way, two at once, SMTP down for a while.
Each time, every delivery's message reaches the mail server exactly once and every delivery ends `sent`.

The workers are separate processes on a database of their own (a file, or a dedicated PostgreSQL
database), with the demo population loaded once for the module; they send to an aiosmtpd server on a
loopback port in this process."""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest
from django.conf import settings

from tests.channels.workers import Sink, expected_ids, publish, state, worker
from tests.processes import Installation, wait_for

# The SMTP server was down: make the retries due now rather than wait out the 30 s backoff.
BACKOFF_PASSED = """
import json
from datetime import timedelta
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from ceptoar.channels.models import Delivery
past = timezone.now() - timedelta(seconds=1)
Delivery.objects.filter(status="retrying").update(next_attempt_at=past)
print(json.dumps(DBTaskResult.objects.filter(status="READY").update(run_after=past)))
"""


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    platform = Installation(tmp_path_factory.mktemp("worker-process"), "worker_process")
    platform.load_demo()
    yield platform
    platform.stop_all()


def assert_each_sent_once(installation, smtp: Sink, alert: int, emails: dict[int, str]) -> dict:
    counts = smtp.message_ids()
    wanted = expected_ids(emails)
    assert {mid: n for mid, n in counts.items() if mid in wanted and n != 1} == {}
    assert set(counts) >= wanted
    # Each message went to the address of its own delivery.
    rcpt = {mid: to for mid, to in smtp.received if mid in wanted}
    assert rcpt == {f"<delivery-{pk}@127.0.0.1>": (address,) for pk, address in emails.items()}
    final = state(installation, alert)
    assert set(final["status"].values()) == {"sent"}
    return final


def test_a_worker_killed_half_way_through_a_fan_out_loses_and_repeats_nothing(installation, sink):
    batch = settings.CEPTOAR_DELIVERY_BATCH_SIZE  # the installation's, from the same settings
    smtp = sink(stall_at=50).start()
    alert, emails = publish(installation, "送信中に停止したワーカー", members=batch + 100)
    assert len(emails) > batch + 100  # two send tasks

    first = worker(installation, smtp, "doomed")
    assert smtp.stalled.wait(120), installation.log(first)
    # It is blocked waiting for the server's answer to the 50th message: kill it there, once it has been
    # waiting longer than a quick reply takes (EmailChannel.QUICK_REPLY_S), as a worker stuck on a stalled
    # server is. By then it has marked every message the server accepted (channels.services.sending._SentMarks).
    time.sleep(0.5)
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    smtp.release.set()
    assert len(smtp.received) == 49
    half_done = Counter(state(installation, alert)["status"].values())
    assert half_done == {"sent": 49, "sending": batch - 49, "pending": len(emails) - batch}

    # A second worker with a short lease: it sends the other task's batch, and its sweeper returns the
    # dead worker's claimed deliveries to pending once their lease has run out. (The lease must outlast
    # the sending of one batch, well under a second here, or the sweeper would take back live work.)
    second = worker(installation, smtp, "rescuer", "--lease", "5", "--sweep-interval", "0.5")
    wait_for(lambda: set(smtp.message_ids()) >= expected_ids(emails), 180, "every delivery to arrive")
    time.sleep(6)  # time enough for a duplicate to show up: more sweeps, past the lease
    assert installation.stop(second) == 0, installation.log(second)

    final = assert_each_sent_once(installation, smtp, alert, emails)
    retried = [pk for pk, attempts in final["attempts"].items() if attempts == 2]
    # Exactly the ones the dead worker had claimed and not finished were sent a second time.
    assert len(retried) == batch - 49


def test_two_workers_on_the_same_deliveries_send_each_once(installation, sink):
    smtp = sink().start()
    one = worker(installation, smtp, "worker-one")
    two = worker(installation, smtp, "worker-two")
    # Both are polling before the work arrives, so both take part.
    for process in (one, two):
        wait_for(lambda p=process: "Starting worker" in installation.log(p), 60, "the workers to start")
    alert, emails = publish(installation, "二つのワーカーが同じ配信を取り合う", members=500, twice=True)
    wait_for(lambda: set(smtp.message_ids()) >= expected_ids(emails), 180, "every delivery to arrive")
    time.sleep(1)
    assert installation.stop(one) == 0, installation.log(one)
    assert installation.stop(two) == 0, installation.log(two)

    final = assert_each_sent_once(installation, smtp, alert, emails)
    assert set(final["attempts"].values()) == {1}
    assert {"worker-one", "worker-two"} <= set(final["task_workers"])


def test_smtp_server_down_for_a_while_then_back_everything_arrives_once(installation, sink):
    smtp = sink()  # not started: nothing listens on its port yet
    running = worker(installation, smtp, "patient")
    alert, emails = publish(installation, "メールサーバ停止中の情報提供", members=10)
    wait_for(
        lambda: set(state(installation, alert)["status"].values()) == {"retrying"},
        60,
        "the deliveries to fail for now",
        interval=0.5,
    )
    smtp.start()
    assert installation.shell(BACKOFF_PASSED) >= 1
    wait_for(lambda: set(smtp.message_ids()) >= expected_ids(emails), 60, "every delivery to arrive")
    time.sleep(1)
    assert installation.stop(running) == 0, installation.log(running)

    final = assert_each_sent_once(installation, smtp, alert, emails)
    assert set(final["attempts"].values()) == {2}
