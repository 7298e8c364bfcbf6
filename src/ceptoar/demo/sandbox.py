"""A throw-away platform to try things on: a scratch database with the demo loaded, Django code run in
subprocesses against it, an SMTP sink on loopback, and the relay chain of standing rules.

Used by the simulated drill (`ceptoar exercise run --simulate`) and by the benchmarks in the checkout's
`benchmarks/` directory (`ceptoar bench NAME`). It imports only models, and those only inside the functions run
in a phase, so anything above the models may use it.

The process that opens a workspace never opens its database through Django: everything that needs the
platform runs in a subprocess with its own CEPTOAR_VAR_DIR and DATABASE_URL, as `ceptoar demo` and
`ceptoar worker` would in a real installation, so what is measured there does not depend on the settings of
whoever starts it. A "phase" is one such subprocess: `python -m ceptoar.demo.sandbox FUNCTION ARGS OUT`
calls a function (its full dotted path) with JSON arguments and writes its JSON result to OUT.
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
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_MP = multiprocessing.get_context("spawn")  # children start clean: no Django state, no copied DB sockets


# -- the scratch database --------------------------------------------------------------------------------


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
    """Run `target`, the full dotted path of a function (`ceptoar.exercises.simulation.phase`), in a
    subprocess against the workspace; `env` is added to the workspace's environment (e.g. a PYTHONPATH
    under which the function's module is found)."""
    out = space.path(f"phase-{target.replace('.', '-')}-{time.monotonic_ns()}.json")
    completed = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "ceptoar.demo.sandbox", target, json.dumps(kwargs), str(out)],
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
    function = getattr(importlib.import_module(module_name), function_name)
    result = function(**json.loads(arguments))
    Path(out).write_text(json.dumps(result))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


# -- Django side: the relay chain (run inside a phase) -------------------------------------------------------

# What the relay rules pass on: an alert of this category, of this severity or higher.
RELAY_CATEGORY = "vulnerability"
RELAY_SEVERITY = "high"


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
    given CEPTOARs and their ministries) that does not relay everything already (the demo's own chain,
    `demo.relays`, does): the ministries relay from the hub, the CEPTOARs from their ministries, each in its
    own name. The sub-groups and relay hubs of those CEPTOARs relay from their
    CEPTOAR by the standing rule the demo gives them; one that has none is given one here. Returns how many
    of each kind relay, so that a caller knows how many alerts the relay tree will hold."""
    from django.db import transaction

    from ceptoar.accounts.models import Role
    from ceptoar.alerts.models import RelayRule
    from ceptoar.demo.relays import relays_already
    from ceptoar.registry.models import Organisation, OrganisationKind, Oversight

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
                if relays_already(organisation, relays_from):
                    continue  # the demo's own chain (`demo.relays`) relays it already
                RelayRule.objects.create(
                    organisation=organisation,
                    created_by=_sender(organisation, role),
                    from_organisation_kinds=[relays_from],
                    categories=[RELAY_CATEGORY],
                    minimum_severity=RELAY_SEVERITY,
                    note="自動転送 (bench)",
                )
        hubs = Organisation.objects.filter(kind=OrganisationKind.SUBGROUP, parent__in=chosen)
        for hub in hubs.exclude(relay_rules__is_active=True):
            RelayRule.objects.create(
                organisation=hub,
                created_by=_sender(hub, Role.SECRETARIAT),
                from_organisation_kinds=[OrganisationKind.CEPTOAR],
                note="自動転送 (bench)",
            )
    return {"ministries": ministries.count(), "ceptoars": chosen.count(), "relay_hubs": hubs.count()}


if __name__ == "__main__":
    _phase_main(*sys.argv[1:4])
