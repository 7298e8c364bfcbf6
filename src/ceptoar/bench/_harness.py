"""What the fan-out and acknowledgement benchmarks share: a database of their own with the demo loaded, Django
code run in subprocesses against it, a counting SMTP sink, the relay chain set up and the hub alert published.

The benchmark process itself never opens the benchmark's database through Django: everything that needs the
platform runs in a subprocess with its own CEPTOAR_VAR_DIR and DATABASE_URL, as `ceptoar demo` and
`ceptoar worker` would in a real installation, so the figures do not depend on the settings of whoever
starts the benchmark. A "phase" is one such subprocess: `python -m ceptoar.bench._harness FUNCTION ARGS OUT`
calls a function of this package with JSON arguments and writes its JSON result to OUT.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_MP = multiprocessing.get_context("spawn")  # children start clean: no Django state, no copied DB sockets


# -- the benchmark's own database ------------------------------------------------------------------------


@dataclass
class Workspace:
    directory: Path
    env: dict[str, str]
    database: str  # "sqlite" or "postgresql"
    database_name: str

    def path(self, name: str) -> Path:
        return self.directory / name


def _admin_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _postgres(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(url), autocommit=True, connect_timeout=10) as conn:
        for statement in statements:
            conn.execute(statement)


def postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(_admin_url(url), connect_timeout=10) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


@contextlib.contextmanager
def workspace(name: str) -> Iterator[Workspace]:
    """A temporary var dir, and PostgreSQL database `ceptoar_bench_<name>` when DATABASE_URL names a
    PostgreSQL server (created empty, dropped afterwards), else a SQLite file in the var dir."""
    directory = Path(tempfile.mkdtemp(prefix=f"ceptoar-bench-{name}-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {
            "CEPTOAR_VAR_DIR": str(directory / "var"),
            "DJANGO_SETTINGS_MODULE": "ceptoar.settings",
            "CEPTOAR_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    url = os.environ.get("DATABASE_URL", "")
    database_name = ""
    if url.startswith(("postgres://", "postgresql://")):
        database_name = re.sub(r"[^a-z0-9_]", "_", f"ceptoar_bench_{name}".lower())
        try:
            _postgres(
                url,
                f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)',
                f'CREATE DATABASE "{database_name}"',
            )
        except Exception:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        env["DATABASE_URL"] = _with_database(url, database_name)
        space = Workspace(directory, env, "postgresql", database_name)
    else:
        space = Workspace(directory, env, "sqlite", str(directory / "var" / "ceptoar.sqlite3"))
    try:
        yield space
    finally:
        if os.environ.get("CEPTOAR_BENCH_KEEP"):
            # For looking into a failed run: the database and var dir stay, and are named on stderr.
            print(f"kept: {space.directory} {space.database_name}", file=sys.stderr)
        else:
            if space.database == "postgresql":
                with contextlib.suppress(Exception):
                    _postgres(url, f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
            shutil.rmtree(directory, ignore_errors=True)


def ceptoar_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "ceptoar.cli", *arguments]


def load_demo(space: Workspace) -> float:
    """`ceptoar demo --no-serve` into the workspace; returns the seconds it took.

    On PostgreSQL the tables are then ANALYZEd. Autovacuum does that within a minute or so of a bulk load
    in any installation; measured seconds after the load, without statistics, the planner takes the
    registry for a few dozen rows and joins contacts to channels in a nested loop (0.8 s instead of 0.02 s
    for the 1,863 local governments), which no running installation would see."""
    started = time.perf_counter()
    completed = subprocess.run(  # noqa: S603 - our own entry point
        ceptoar_command("demo", "--no-serve"), env=space.env, capture_output=True, text=True
    )
    if completed.returncode:
        raise RuntimeError(f"loading the demo failed:\n{completed.stderr[-3000:]}")
    seconds = time.perf_counter() - started
    if space.database == "postgresql":
        import psycopg

        with psycopg.connect(space.env["DATABASE_URL"], autocommit=True, connect_timeout=10) as conn:
            conn.execute("ANALYZE")
    return seconds


def run_phase(space: Workspace, target: str, env: dict | None = None, **kwargs) -> dict:
    """Run `ceptoar.bench.<target>` (module.function), or `target` itself when it is a full path
    (`ceptoar.….function`), in a subprocess against the workspace."""
    out = space.path(f"phase-{target.replace('.', '-')}-{time.monotonic_ns()}.json")
    completed = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "ceptoar.bench._harness", target, json.dumps(kwargs), str(out)],
        env={**space.env, **(env or {})},
        capture_output=True,
        text=True,
    )
    if completed.returncode or not out.exists():
        raise RuntimeError(f"benchmark phase {target} failed:\n{completed.stderr[-5000:]}")
    return json.loads(out.read_text())


def _phase_main(target: str, arguments: str, out: str) -> None:
    import django

    django.setup()
    module_name, function_name = target.rsplit(".", 1)
    # "fanout.run" is a benchmark's; a full path ("ceptoar.exercises.simulation.phase") anyone else's.
    if not module_name.startswith("ceptoar."):
        module_name = f"ceptoar.bench.{module_name}"
    function = getattr(importlib.import_module(module_name), function_name)
    result = function(**json.loads(arguments))
    Path(out).write_text(json.dumps(result))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


# -- the SMTP sink, in a process of its own ----------------------------------------------------------------

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
_ACK_LINK = re.compile(r"https?://\S+?/ack/[^/\s]+/")


def _ack_links(content: bytes) -> list[str]:
    """The acknowledgement links in a message's text, as its reader would see them (decoded)."""
    import email
    import email.policy

    message = email.message_from_bytes(content, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    return _ACK_LINK.findall(body.get_content()) if body is not None else []


class _CountingHandler:
    """Accepts everything; counts messages, their sizes and distinct Message-IDs (a message sent twice by a
    worker that died between sending and recording shows up as a repeated id). With `keep_links`, it also
    keeps the acknowledgement links each recipient address received (the simulated drill clicks them);
    off for the benchmarks, whose sink must cost the same as a plain one."""

    def __init__(self, count, last_accepted, keep_links: bool = False) -> None:
        self.count, self.last_accepted = count, last_accepted
        self.keep_links = keep_links
        self.reset()

    def reset(self) -> None:
        self.count.value = 0
        self.last_accepted.value = 0.0
        self.sizes: list[int] = []
        self.message_ids: set[bytes] = set()
        self.first_accepted = 0.0
        self.links: list[tuple[str, str]] = []

    def take_links(self) -> list[tuple[str, str]]:
        """(recipient address, link) received since the last call, in the order received."""
        links, self.links = self.links, []
        return links

    async def handle_DATA(self, server, session, envelope) -> str:
        content = envelope.original_content or envelope.content
        self.sizes.append(len(content))
        head = content[: content.find(b"\r\n\r\n") + 2]
        found = _MESSAGE_ID.search(head)
        if found:
            self.message_ids.add(found.group(1))
        if self.keep_links:
            links = _ack_links(content)
            self.links += [(address, link) for address in envelope.rcpt_tos for link in links]
        now = time.monotonic()
        if not self.first_accepted:
            self.first_accepted = now
        self.last_accepted.value = now
        self.count.value += 1
        return "250 Message accepted"

    def report(self) -> dict:
        sizes = self.sizes
        return {
            "accepted": len(sizes),
            "distinct_message_ids": len(self.message_ids),
            "bytes": sum(sizes),
            "size_min": min(sizes, default=0),
            "size_max": max(sizes, default=0),
            "size_avg": round(sum(sizes) / len(sizes)) if sizes else 0,
            "first_accepted": self.first_accepted,
            "last_accepted": self.last_accepted.value,
        }


def _sink_main(port: int, count, last_accepted, ready, commands, keep_links: bool = False) -> None:
    from aiosmtpd.controller import Controller

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handler = _CountingHandler(count, last_accepted, keep_links)
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    ready.set()
    try:
        while True:
            command = commands.recv()
            if command == "report":
                commands.send(handler.report())
            elif command == "reset":
                handler.reset()
                commands.send(True)
            elif command == "links":
                commands.send(handler.take_links())
            else:
                break
    finally:
        controller.stop()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a loopback port, in its own process so that neither side of the
    comparison shares a CPU or an interpreter lock with it more than the other does."""

    def __init__(self, keep_links: bool = False) -> None:
        self.port = free_port()
        self._count = _MP.RawValue("q", 0)
        self._last = _MP.RawValue("d", 0.0)
        self._commands, child_end = _MP.Pipe()
        self._ready = _MP.Event()
        self._process = _MP.Process(
            target=_sink_main,
            args=(self.port, self._count, self._last, self._ready, child_end, keep_links),
            daemon=True,
        )

    def __enter__(self) -> SmtpSink:
        self._process.start()
        deadline = time.monotonic() + 30
        while not self._ready.wait(0.1):
            if not self._process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the SMTP sink did not start on 127.0.0.1:{self.port}")
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(Exception):
            self._commands.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()

    @property
    def accepted(self) -> int:
        return self._count.value

    @property
    def last_accepted(self) -> float:
        return self._last.value

    def report(self) -> dict:
        self._commands.send("report")
        return self._commands.recv()

    def reset(self) -> None:
        self._commands.send("reset")
        self._commands.recv()

    def take_links(self) -> list[tuple[str, str]]:
        """(recipient address, acknowledgement link) accepted since the last call (`keep_links` only)."""
        self._commands.send("links")
        return self._commands.recv()

    def wait_for(self, count: int, timeout: float, alive=lambda: True) -> bool:
        deadline = time.monotonic() + timeout
        while self.accepted < count:
            if time.monotonic() > deadline or not alive():
                return False
            time.sleep(0.005)
        return True


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


def run_baseline(sink: SmtpSink, messages: int, size: int, parallelism: int, timeout: float) -> dict:
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


def worker_supports(option: str, space: Workspace) -> bool:
    """Whether `ceptoar worker` has a command-line option (it grows options over time)."""
    completed = subprocess.run(  # noqa: S603 - our own entry point
        ceptoar_command("worker", "--help"), env=space.env, capture_output=True, text=True
    )
    return option in completed.stdout


# -- Django side: the relay chain and the hub alert (run inside a phase) -------------------------------------

BENCH_CATEGORY = "vulnerability"
BENCH_SEVERITY = "high"
_BENCH_BODY = (
    "## 概要\n\n"
    "広く使われている VPN 装置に、認証を経ずに任意のコードを実行される脆弱性が公表されました。"
    "悪用が確認されています。\n\n"
    "## 対応\n\n"
    "1. 該当製品と版を確認してください。\n"
    "2. 修正版を適用するか、回避策として管理画面をインターネットから切り離してください。\n"
    "3. 不審な通信を確認した場合は事務局へ情報連絡してください。\n"
)


def _sender(organisation, role: str):
    from ceptoar.accounts.models import RoleGrant, User

    user, created = User.objects.get_or_create(
        username=f"bench-{organisation.code}",
        defaults={"organisation": organisation, "display_name": f"{organisation.name} (bench)"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        RoleGrant.objects.create(user=user, role=role)
    return user


def set_up_relay_chain(ceptoars: list[str] | None = None) -> dict:
    """A sender and a standing rule "hub alerts go straight on" for every ministry and CEPTOAR (or only the
    given CEPTOARs and their ministries): the ministries relay from the hub, the CEPTOARs from their
    ministries, each in its own name."""
    from django.db import transaction

    from ceptoar.accounts.models import Role
    from ceptoar.alerts.models import RelayRule
    from ceptoar.registry.models import Organisation, Oversight

    chosen = Organisation.objects.ceptoars()
    if ceptoars:
        chosen = chosen.filter(code__in=ceptoars)
    ministries = Organisation.objects.filter(
        pk__in=Oversight.objects.filter(ceptoar__in=chosen).values("ministry_id")
    )
    with transaction.atomic():
        for relayers, role, relays_from in (
            (ministries, Role.MINISTRY_LIAISON, "hub"),
            (chosen, Role.SECRETARIAT, "ministry"),
        ):
            for organisation in relayers:
                RelayRule.objects.create(
                    organisation=organisation,
                    created_by=_sender(organisation, role),
                    from_organisation_kinds=[relays_from],
                    categories=[BENCH_CATEGORY],
                    minimum_severity=BENCH_SEVERITY,
                    note="自動転送 (bench)",
                )
    return {"ministries": ministries.count(), "ceptoars": chosen.count()}


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

    chain = set_up_relay_chain(ceptoars)
    expected_relays = chain["ministries"] + chain["ceptoars"]
    hub = User.objects.get(username="demo-hub")
    spec = AudienceSpec(ceptoars=list(ceptoars)) if ceptoars else AudienceSpec(community=True)
    draft = drafts.create_draft(
        hub,
        title="【注意喚起】VPN 装置の脆弱性 (CVE-2026-0001) の悪用について",
        body=_BENCH_BODY,
        category=BENCH_CATEGORY,
        severity=BENCH_SEVERITY,
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


if __name__ == "__main__":
    _phase_main(*sys.argv[1:4])
