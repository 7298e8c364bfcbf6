"""The sandbox the simulated drill and the benchmarks run on, for real: its SMTP sink accepts what smtplib
sends, its workspace is gone afterwards, and the demo loaded into one holds the seed map's organisations, on
which the relay chain is set up by a phase run in a subprocess."""

from __future__ import annotations

import os
import shutil
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from ceptoar.demo import sandbox
from ceptoar.demo.seed_map import CEPTOARS

CHECKOUT = Path(__file__).resolve().parents[2]


def _message(to: str, text: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "hub@sandbox.example.jp"
    message["To"] = to
    message["Subject"] = "【訓練】受領確認"
    message["Message-ID"] = message_id
    message.set_content(text)
    return message


def test_the_sink_accepts_what_smtplib_sends_and_counts_it():
    with sandbox.SmtpSink() as sink:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
            for n in (1, 2):
                smtp.send_message(_message(f"member-{n}@sandbox.example.jp", "本文です。", f"<m{n}@sandbox>"))
            smtp.send_message(_message("member-1@sandbox.example.jp", "again", "<m1@sandbox>"))
        assert sink.wait_for(3, timeout=10)
        report = sink.report()
    assert sink.accepted == report["accepted"] == 3
    assert report["distinct_message_ids"] == 2  # the same Message-ID twice counts once
    assert report["bytes"] >= 3 * report["size_min"] > 0
    assert report["last_accepted"] >= report["first_accepted"] > 0


def test_the_sink_keeps_the_acknowledgement_links_each_address_received():
    link = "http://127.0.0.1:8000/ack/AbC123.xyz/"
    with sandbox.SmtpSink(keep_links=True) as sink:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
            smtp.send_message(
                _message("poc@sandbox.example.jp", f"受領を確認してください:\n{link}\n", "<ack@sandbox>")
            )
            smtp.send_message(_message("other@sandbox.example.jp", "リンクなし", "<plain@sandbox>"))
        assert sink.wait_for(2, timeout=10)
        assert sink.take_links() == [("poc@sandbox.example.jp", link)]
        assert sink.take_links() == []  # taken once


def test_a_workspace_is_removed_afterwards(monkeypatch):
    monkeypatch.delenv("CEPTOAR_BENCH_KEEP", raising=False)
    with sandbox.workspace("sandbox_test") as space:
        directory = space.directory
        assert directory.is_dir()
        assert space.env["CEPTOAR_VAR_DIR"] == str(directory / "var")
        assert space.database in ("sqlite", "postgresql")
    assert not directory.exists()


def test_a_workspace_is_kept_when_asked_to(monkeypatch, capsys):
    monkeypatch.setenv("CEPTOAR_BENCH_KEEP", "1")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with sandbox.workspace("sandbox_keep") as space:
        directory = space.directory
    try:
        assert directory.is_dir()
        assert str(directory) in capsys.readouterr().err
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def population() -> dict:
    """Phase (run in the workspace's subprocess): the organisations of the loaded demo by kind, the gas
    CEPTOAR's members, and the relay rules."""
    from django.db.models import Count

    from ceptoar.alerts.models import RelayRule
    from ceptoar.registry.models import Membership, Organisation

    kinds = dict(Organisation.objects.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    return {
        "kinds": kinds,
        "ceptoars": sorted(Organisation.objects.ceptoars().values_list("code", flat=True)),
        "gas_members": Membership.objects.filter(ceptoar__code="gas").values("member").distinct().count(),
        "relay_rules": sorted(RelayRule.objects.values_list("organisation__kind", flat=True)),
    }


@pytest.fixture(scope="module")
def loaded():
    with sandbox.workspace("sandbox_demo") as space:
        seconds = sandbox.load_demo(space)
        yield space, seconds
    assert not space.directory.exists()


def _population(space) -> dict:
    # The checkout's root on the subprocess's path, before what it had (the package's src/ in a checkout).
    path = os.pathsep.join(filter(None, [str(CHECKOUT), space.env.get("PYTHONPATH", "")]))
    return sandbox.run_phase(space, "tests.demo.test_sandbox.population", env={"PYTHONPATH": path})


def test_the_demo_load_holds_the_seed_maps_organisations(loaded):
    space, seconds = loaded
    assert seconds > 0
    found = _population(space)
    assert found["ceptoars"] == sorted(ceptoar.code for ceptoar in CEPTOARS)
    assert found["kinds"]["hub"] == 1
    assert found["kinds"]["member"] >= 5000
    assert found["gas_members"] == 10  # 政令指定都市8社、同等の事業者2社


def test_the_relay_chain_is_set_up_by_a_phase(loaded):
    space, _seconds = loaded
    # `ceptoar demo` gives each of the 5 ministries, the CEPTOARs and the 23 sub-groups and relay hubs a
    # standing rule of its own (`demo.relays`, the population's sub-group rules).
    demo_rules = ["ceptoar"] * len(CEPTOARS) + ["ministry"] * 5 + ["subgroup"] * 23
    assert _population(space)["relay_rules"] == demo_rules
    chain = sandbox.run_phase(space, "ceptoar.demo.sandbox.set_up_relay_chain", ceptoars=["gas"])
    assert chain == {"ministries": 1, "ceptoars": 1, "relay_hubs": 0}
    # The gas CEPTOAR and its ministry relay by the demo's rules already: none is added for them.
    assert _population(space)["relay_rules"] == demo_rules
    # Water's 8 hub cities relay too, by the rules they have already.
    chain = sandbox.run_phase(space, "ceptoar.demo.sandbox.set_up_relay_chain", ceptoars=["water"])
    assert chain == {"ministries": 1, "ceptoars": 1, "relay_hubs": 8}
    assert _population(space)["relay_rules"] == demo_rules


def test_a_failing_phase_says_which_and_why(loaded):
    space, _seconds = loaded
    with pytest.raises(RuntimeError, match="ceptoar.demo.sandbox.no_such_function"):
        sandbox.run_phase(space, "ceptoar.demo.sandbox.no_such_function")
