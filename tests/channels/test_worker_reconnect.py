"""Real `ceptoar worker` processes outlive their database connections: dropped by the server in the middle
of a fan-out (`pg_terminate_backend`, as a restart or an idle timeout does), or the database away for a
while (a relay on a port of the test's own, taken down and brought back). Each time the workers keep
running, every e-mail arrives, none twice, and nothing waits for the lease.

PostgreSQL only: dropping another session's connection is PostgreSQL's `pg_terminate_backend`, and the
relay speaks to a server. The PostgreSQL run (DATABASE_URL set; CI always has it) runs these."""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings

from ceptoar.utilities import reconnect
from tests.channels.workers import expected_ids, publish, state, worker
from tests.processes import Installation, wait_for

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="drops the workers' connections with PostgreSQL's pg_terminate_backend: runs on the PostgreSQL "
    "suite (DATABASE_URL=postgres://…), which CI always runs",
)

APPLICATION = "ceptoar-reconnect-test"
# No delivery may wait for the lease: one that did would still be `sending` at the end of the test.
NO_LEASE = ("--lease", "86400")
# A worker waiting on the held message must not give up on the mail server meanwhile (10 s by default).
PATIENT_SMTP = {"CEPTOAR_SMTP_TIMEOUT_S": "600"}


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    platform = Installation(tmp_path_factory.mktemp("worker-reconnect"), "worker_reconnect")
    platform.load_demo()
    yield platform
    platform.stop_all()


def server_url(installation) -> str:
    return installation.env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"


def drop_connections(installation, application: str) -> int:
    """End every connection of the processes started with PGAPPNAME=application, as the server does."""
    with psycopg.connect(server_url(installation), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            [application],
        ).fetchall()
    return sum(1 for (ended,) in rows if ended)


def logged(installation, process, text: str) -> int:
    return installation.log(process).count(text)


def assert_delivered_once(installation, smtp, alert: int, emails: dict[int, str], workers) -> dict:
    wanted = expected_ids(emails)

    def arrived():
        for process in workers:
            assert process.poll() is None, f"a worker exited:\n{installation.log(process)}"
        return set(smtp.message_ids()) >= wanted

    wait_for(arrived, 180, "every delivery to arrive")

    def all_sent():
        current = state(installation, alert)
        return current if set(current["status"].values()) == {"sent"} else None

    final = wait_for(all_sent, 60, "every delivery to be marked sent", interval=0.5)
    # None twice: what was sent but not yet marked when the connection went is marked after reconnecting
    # (a worker that died there would send again at most a group of marks, _SentMarks.MAX_PENDING).
    counts = smtp.message_ids()
    assert {mid: n for mid, n in counts.items() if mid in wanted and n != 1} == {}
    # Each was claimed once: none was returned by the sweeper, nor given back and claimed again.
    assert set(final["attempts"].values()) == {1}
    return final


def test_workers_outlive_the_server_dropping_their_connections_mid_fan_out(installation, sink):
    batch = settings.CEPTOAR_DELIVERY_BATCH_SIZE
    # Two send tasks (one batch each); the sink holds its answers from the 40th message on, so each worker
    # ends up waiting on it half way through its batch, however fast either is.
    smtp = sink(hold_from=40).start()
    env = {"PGAPPNAME": APPLICATION, **PATIENT_SMTP}
    workers = [worker(installation, smtp, f"steady-{n}", *NO_LEASE, **env) for n in (1, 2)]
    for process in workers:
        wait_for(lambda p=process: "Starting worker" in installation.log(p), 60, "the workers to start")
    alert, emails = publish(installation, "配信中にデータベース接続が切れた", members=batch + 100)
    assert len(emails) > batch + 100

    wait_for(lambda: smtp.held == 2, 180, "both workers to wait on the mail server mid-batch")
    # Every connection of both workers: each batch's, and the periodic jobs' if one is open.
    assert drop_connections(installation, APPLICATION) >= 2
    smtp.release.set()

    assert_delivered_once(installation, smtp, alert, emails, workers)
    for process in workers:
        log = installation.log(process)
        # Each noticed, said so in one line, reconnected and carried on its batch.
        assert logged(installation, process, "A send batch lost the database connection") == 1, log
        assert logged(installation, process, "A send batch: database connection back") == 1, log
        assert "Traceback" not in log, log

    # Still at work: the next alert goes out too.
    later, later_emails = publish(installation, "再接続後の情報提供", members=5)
    assert_delivered_once(installation, smtp, later, later_emails, workers)
    for process in workers:
        assert installation.stop(process) == 0, installation.log(process)


class DatabaseRelay:
    """A TCP relay to the PostgreSQL server on a loopback port of its own. `down()` cuts every connection
    through it and then refuses new ones (accepting and closing each at once, and counting them) until
    `up()`: the database gone away, as seen from the worker."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.refused = 0
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return  # closed
            if not self.open.is_set():
                self.refused += 1
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.pairs.append((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def up(self) -> None:
        self.open.set()

    def down(self) -> None:
        self.open.clear()
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for end in pair:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def url(self, database_url: str) -> str:
        parts = urlsplit(database_url)
        netloc = parts.netloc.rsplit("@", 1)
        netloc[-1] = f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc="@".join(netloc)))

    def close(self) -> None:
        self.down()
        self.listener.close()


@pytest.fixture
def relay(installation):
    address = urlsplit(installation.env["DATABASE_URL"])
    relay = DatabaseRelay((address.hostname, address.port or 5432))
    yield relay
    relay.close()


def most_tries(seconds: float, threads: int) -> int:
    """The most connection attempts `threads` waiting threads make in `seconds` (reconnect's delays: each
    at least half of one that doubles from FIRST_DELAY_S to MAX_DELAY_S), plus one each to spare."""
    doubling = math.log2(seconds / (reconnect.FIRST_DELAY_S / 2) + 1)
    return math.ceil(threads * (doubling + seconds / (reconnect.MAX_DELAY_S / 2) + 2))


def test_a_worker_waits_while_the_database_is_away_and_carries_on_when_it_is_back(installation, sink, relay):
    smtp = sink(hold_from=10).start()
    away = {"DATABASE_URL": relay.url(installation.env["DATABASE_URL"]), **PATIENT_SMTP}
    began = time.monotonic()
    patient = worker(installation, smtp, "patient", *NO_LEASE, **away)
    quitter = worker(installation, smtp, "quitter", **away)
    # Started with no database: each says so once per thread that needs it (the task loop, the periodic
    # jobs), waits, and tries again with a growing delay rather than hammer the server.
    for process in (patient, quitter):
        for waiter in ("The worker", "Periodic job 'sweeper'"):
            wait_for(
                lambda p=process, w=waiter: logged(installation, p, f"{w} lost the database connection"),
                60,
                f"{waiter} to wait for the database",
            )
    time.sleep(3)
    waited, tries = time.monotonic() - began, relay.refused
    assert patient.poll() is None and quitter.poll() is None
    assert 4 <= tries <= most_tries(waited, threads=4)
    # Asked to stop while it waits, a worker stops at once and cleanly.
    assert installation.stop(quitter) == 0, installation.log(quitter)
    assert "Traceback" not in installation.log(quitter)

    relay.up()
    alert, emails = publish(installation, "データベース停止中に起動したワーカー", members=30)
    # Half way through the batch, the database goes away; the batch waits for it with what it has sent.
    wait_for(lambda: smtp.held == 1, 120, "the worker to wait on the mail server mid-batch")
    relay.down()
    smtp.release.set()
    wait_for(lambda: logged(installation, patient, "A send batch lost the database connection"), 60, "a loss")
    time.sleep(1)  # a few tries against the absent database
    relay.up()

    assert_delivered_once(installation, smtp, alert, emails, [patient])
    log = installation.log(patient)
    assert logged(installation, patient, "The worker lost the database connection") == 1, log
    assert logged(installation, patient, "A send batch: database connection back") == 1, log
    assert "Traceback" not in log, log

    # Asked to stop while a batch waits for the database, it stops at once and cleanly too (what the batch
    # has claimed goes back to pending when its lease runs out).
    smtp.hold(after=5)
    publish(installation, "停止を求められたワーカー", members=10)
    wait_for(lambda: smtp.held == 1, 120, "the worker to wait on the mail server mid-batch")
    relay.down()
    smtp.release.set()
    wait_for(
        lambda: logged(installation, patient, "A send batch lost the database connection") == 2, 60, "a loss"
    )
    assert installation.stop(patient) == 0, installation.log(patient)
    log = installation.log(patient)
    assert "The worker stops without the database" in log and "Traceback" not in log, log
