"""What the fan-out and acknowledgement benchmarks share beyond the sandbox (`ceptoar.demo.sandbox`: the
scratch database, the demo load, the SMTP sink, the relay chain): the machine's description, the plain smtplib
baseline, the worker and server processes, and the published hub alert, timed.

A benchmark's phases are functions of this directory's modules, run by the sandbox in a subprocess that finds
them through the checkout's root on its PYTHONPATH (`run_phase("fanout.publish", …)`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ceptoar.demo import sandbox

_MP = multiprocessing.get_context("spawn")  # children start clean: no Django state, no copied DB sockets
# The checkout's root, where `benchmarks` is found as a package.
CHECKOUT = Path(__file__).resolve().parents[1]


def run_phase(space: sandbox.Workspace, target: str, env: dict | None = None, **kwargs) -> dict:
    """Run `benchmarks.<target>` (module.function) in a subprocess against the workspace."""
    path = os.pathsep.join(filter(None, [str(CHECKOUT), space.env.get("PYTHONPATH", "")]))
    return sandbox.run_phase(space, f"benchmarks.{target}", env={"PYTHONPATH": path, **(env or {})}, **kwargs)


def machine() -> dict:
    """What the figures were measured on."""
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    load = None
    with contextlib.suppress(OSError):
        load = os.getloadavg()[0]
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": ram_gib, "load_1min_before": load}


# -- the baseline: plain smtplib ----------------------------------------------------------------------------


def baseline_message(index: int, size: int) -> bytes:
    """An ASCII message of `size` bytes as the sink counts them (CRLF lines of 76 characters)."""
    head = (
        f"From: bench@localhost\r\nTo: member-{index}@bench.example.jp\r\n"
        f"Subject: [TLP:GREEN] baseline message {index}\r\nMessage-ID: <baseline-{index}@bench>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
    ).encode()
    body_size = max(size - len(head), 2)
    line = b"x" * 74 + b"\r\n"
    body = (line * (body_size // len(line) + 1))[: body_size - 2] + b"\r\n"
    return head + body


def _baseline_sender(port: int, indexes: list[int], size: int, ready, go, results) -> None:
    import smtplib

    messages = [(index, baseline_message(index, size)) for index in indexes]
    ready.wait()
    go.wait()
    sent = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for index, message in messages:
            smtp.sendmail("bench@localhost", [f"member-{index}@bench.example.jp"], message)
            sent += 1
    results.put(sent)


def run_baseline(sink: sandbox.SmtpSink, messages: int, size: int, parallelism: int, timeout: float) -> dict:
    """`parallelism` processes, each with one smtplib connection, send their share of `messages` of `size`
    bytes to the sink. Timed from the moment all are ready and released to the sink's last acceptance."""
    sink.reset()
    ready = _MP.Barrier(parallelism + 1)
    go = _MP.Event()
    results = _MP.Queue()
    shares = [list(range(i, messages, parallelism)) for i in range(parallelism)]
    processes = [
        _MP.Process(target=_baseline_sender, args=(sink.port, share, size, ready, go, results), daemon=True)
        for share in shares
    ]
    for process in processes:
        process.start()
    ready.wait(60)
    started = time.monotonic()
    go.set()
    complete = sink.wait_for(messages, timeout)
    for process in processes:
        process.join(30)
    report = sink.report()
    if not complete:
        raise RuntimeError(
            f"the baseline senders delivered {sink.accepted} of {messages} messages in {timeout} s"
        )
    seconds = report["last_accepted"] - started
    return {"messages": messages, "seconds": seconds, "msgs_per_s": messages / seconds, "sink": report}


# -- worker and server processes ------------------------------------------------------------------------


@dataclass
class Child:
    """A `ceptoar` subprocess whose output is drained in threads (so a full pipe never stalls it); the
    first time a line matching `ready_pattern` appears is noted (time.monotonic)."""

    name: str
    process: subprocess.Popen
    ready_pattern: re.Pattern | None = None
    ready_at: float | None = None
    lines: list[str] = field(default_factory=list)

    def _drain(self, stream) -> None:
        for line in stream:
            if self.ready_at is None and self.ready_pattern is not None and self.ready_pattern.search(line):
                self.ready_at = time.monotonic()
            if len(self.lines) < 2000:
                self.lines.append(line.rstrip("\n"))

    def start_draining(self) -> Child:
        for stream in (self.process.stdout, self.process.stderr):
            threading.Thread(target=self._drain, args=(stream,), daemon=True).start()
        return self

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 20) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.lines[-lines:])


def start_child(name: str, command: list[str], env: dict, ready_pattern: str | None = None) -> Child:
    process = subprocess.Popen(  # noqa: S603 - our own entry point
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,
    )
    return Child(name, process, re.compile(ready_pattern) if ready_pattern else None).start_draining()


def worker_supports(option: str, space: sandbox.Workspace) -> bool:
    """Whether `ceptoar worker` has a command-line option (it grows options over time)."""
    completed = subprocess.run(  # noqa: S603 - our own entry point
        sandbox.ceptoar_command("worker", "--help"), env=space.env, capture_output=True, text=True
    )
    return option in completed.stdout


# -- Django side: the hub alert (run inside a phase) ---------------------------------------------------------

_BENCH_BODY = (
    "## 概要\n\n"
    "広く使われている VPN 装置に、認証を経ずに任意のコードを実行される脆弱性が公表されました。"
    "悪用が確認されています。\n\n"
    "## 対応\n\n"
    "1. 該当製品と版を確認してください。\n"
    "2. 修正版を適用するか、回避策として管理画面をインターネットから切り離してください。\n"
    "3. 不審な通信を確認した場合は事務局へ情報連絡してください。\n"
)


def publish_hub_alert(ceptoars: list[str] | None = None, relay_timeout: float = 120.0) -> dict:
    """Set up the relay chain, then publish one TLP:GREEN hub alert to the community (or to the given
    CEPTOARs) and time it until every relay of the tree and all their delivery rows are committed."""
    import ceptoar.channels.tasks  # noqa: F401 - imported before the clock starts, as in a running server
    import ceptoar.escalation.services  # noqa: F401
    from ceptoar.accounts.models import User
    from ceptoar.alerts.models import Alert, Recipient, Status
    from ceptoar.alerts.services import drafts, publication
    from ceptoar.alerts.services.audience import AudienceSpec
    from ceptoar.channels.models import Delivery, DeliveryKind
    from ceptoar.registry.models import Membership, Organisation, OrganisationKind

    chain = sandbox.set_up_relay_chain(ceptoars)
    expected_relays = chain["ministries"] + chain["ceptoars"] + chain["relay_hubs"]
    hub = User.objects.get(username="demo-hub")
    spec = AudienceSpec(ceptoars=list(ceptoars)) if ceptoars else AudienceSpec(community=True)
    draft = drafts.create_draft(
        hub,
        title="【注意喚起】VPN 装置の脆弱性 (CVE-2026-0001) の悪用について",
        body=_BENCH_BODY,
        category=sandbox.RELAY_CATEGORY,
        severity=sandbox.RELAY_SEVERITY,
        tlp="green",
        audience=spec,
    )
    clock = _DatabaseClock()
    started = time.perf_counter()
    with clock:
        root = publication.submit(draft, hub)
    returned_s = time.perf_counter() - started
    # Relays run on commit, inside `submit`, today; should they ever move to a background task, the clock
    # keeps running until the whole tree is there.
    tree = Alert.objects.filter(root=root, status=Status.PUBLISHED)
    deadline = time.monotonic() + relay_timeout
    while tree.count() < expected_relays and time.monotonic() < deadline:
        time.sleep(0.01)
    committed_s = time.perf_counter() - started
    in_tree = [root.pk, *tree.values_list("pk", flat=True)]
    members = Organisation.objects.filter(kind=OrganisationKind.MEMBER)
    if ceptoars:
        members = members.filter(memberships__ceptoar__code__in=ceptoars)
    member_ids = set(members.values_list("pk", flat=True))
    reached = set(Recipient.objects.filter(alert_id__in=in_tree).values_list("organisation_id", flat=True))
    missing = sorted(Organisation.objects.filter(pk__in=member_ids - reached).values_list("code", flat=True))
    deliveries = Delivery.objects.filter(alert_id__in=in_tree)
    return {
        "alert_id": root.pk,
        "alerts": len(in_tree),
        "expected_alerts": expected_relays + 1,
        "submit_returned_s": returned_s,
        "rows_committed_s": committed_s,
        "recipients": Recipient.objects.filter(alert_id__in=in_tree).count(),
        "organisations_reached": len(reached),
        "member_organisations": len(member_ids),
        "members_reached": len(member_ids & reached),
        "members_missing": missing[:20],
        "memberships": Membership.objects.filter(member_id__in=member_ids).count(),
        "email_deliveries": deliveries.filter(kind=DeliveryKind.EMAIL).count(),
        "deliveries": deliveries.count(),
        "publish_time": {
            "queries": clock.queries,
            "query_s": round(clock.query_s, 3),
            "commits": clock.commits,
            "commit_s": round(clock.commit_s, 3),
            "python_s": round(returned_s - clock.query_s - clock.commit_s, 3),
        },
    }


class _DatabaseClock:
    """Where publishing spends its time: in queries, in commits (on PostgreSQL the deferred foreign-key
    checks of every row written run then), or in Python. Django's own execute hook, and the connection's
    commit, timed."""

    def __init__(self) -> None:
        self.queries = self.commits = 0
        self.query_s = self.commit_s = 0.0

    def _query(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.query_s += time.perf_counter() - started
            self.queries += 1

    def _timed_commit(self, commit):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return commit(*args, **kwargs)
            finally:
                self.commit_s += time.perf_counter() - started
                self.commits += 1

        return timed

    def __enter__(self) -> _DatabaseClock:
        from django.db import connection

        connection.ensure_connection()
        self._hook = connection.execute_wrapper(self._query)
        self._hook.__enter__()
        self._commit = connection.commit
        connection.commit = self._timed_commit(self._commit)
        return self

    def __exit__(self, *exc) -> None:
        from django.db import connection

        connection.commit = self._commit
        self._hook.__exit__(*exc)


def tree_alert_ids(root_id: int) -> list[int]:
    from ceptoar.alerts.models import Alert

    return [root_id, *Alert.objects.filter(root_id=root_id).values_list("pk", flat=True)]
