"""`ceptoar agreements dry-run FROM TO [--json]` and `ceptoar agreements list [--json]` on the demo's agreements
and on pairs without one (docs/agreements.md gives the JSON shapes these tests hold the command to)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from ceptoar.agreements.categories import CATEGORY_VALUES
from ceptoar.agreements.services import lifecycle
from ceptoar.registry.models import Organisation
from tests.agreements.helpers import in_force, spec, staff_of, term

pytestmark = pytest.mark.django_db


def run(*arguments: str) -> str:
    out = io.StringIO()
    call_command("agreements", *arguments, stdout=out)
    return out.getvalue()


def test_dry_run_json_between_two_finance_ceptoars_shows_both_directions_under_the_liaison_agreement():
    result = json.loads(run("dry-run", "banks", "securities", "--json"))
    assert (result["from"], result["to"]) == ("banks", "securities")
    there, back = result["directions"]
    assert (there["from"], there["to"], back["from"], back["to"]) == (
        "banks",
        "securities",
        "securities",
        "banks",
    )
    for direction in (there, back):
        assert direction == {
            **direction,
            "in_force": True,
            "agreements": ["finance-liaison"],
            "combined": False,
            "kinds": ["alert", "situation"],
            "categories": list(CATEGORY_VALUES),
            "highest_tlp": "amber",
            "may_relay": True,
            "originator": "named",
        }


def test_dry_run_json_with_fisc_differs_by_direction():
    there, back = json.loads(run("dry-run", "securities", "fisc", "--json"))["directions"]
    assert there["agreements"] == ["fisc-analysis-securities"]
    assert (there["kinds"], there["may_relay"], there["originator"]) == (
        ["report_for_analysis"],
        False,
        "anonymised",
    )
    assert (back["kinds"], back["may_relay"], back["originator"]) == (["alert", "case"], True, "named")


def test_dry_run_json_without_an_agreement_lets_nothing_flow():
    result = json.loads(run("dry-run", "banks", "electricity", "--json"))
    for direction in result["directions"]:
        assert direction["in_force"] is False
        assert direction["agreements"] == [] and direction["kinds"] == [] and direction["categories"] == []
        assert direction["highest_tlp"] is None and direction["may_relay"] is False
        assert direction["originator"] is None


def test_dry_run_text_names_each_direction_and_says_where_no_agreement_is_in_force():
    body = "telecom-isac"  # a related body outside finance
    in_force(["electricity", body], [term("electricity", body, may_relay=False)])
    text = run("dry-run", "electricity", body, "--language", "en")
    there, back = text.split(f"{body} → electricity")
    assert "electricity → telecom-isac: test-agreement-" in there
    assert "kinds: alert" in there and "categories: vulnerability, malware" in there
    assert "highest TLP: amber" in there and "relay allowed: no" in there
    assert "originator: anonymised" in there
    assert back.strip() == ": no agreement in force"


def test_dry_run_text_without_any_agreement_prints_nothing_that_may_flow():
    text = run("dry-run", "gas", "water", "--language", "en")
    assert text.splitlines() == ["gas → water: no agreement in force", "water → gas: no agreement in force"]


def test_dry_run_says_when_two_agreements_bind_one_direction():
    first = in_force(["electricity", "gas"], [term("electricity", "gas")])
    second = in_force(["electricity", "gas", "telecom-isac"], [term("telecom-isac", "electricity")])
    # Written past the proposal check (as an import might): two agreements on one direction.
    second.terms.create(
        source=Organisation.objects.get(code="electricity"),
        receiver=Organisation.objects.get(code="gas"),
        kinds=["alert"],
        categories=["malware"],
        highest_tlp="green",
    )
    there = json.loads(run("dry-run", "electricity", "gas", "--json"))["directions"][0]
    assert there["combined"] and there["agreements"] == sorted([first.code, second.code])
    assert (there["categories"], there["highest_tlp"]) == (["malware"], "green")
    assert "the narrower terms of all apply" in run("dry-run", "electricity", "gas", "--language", "en")


@pytest.mark.parametrize("pair", [("banks", "no-such-org"), ("no-such-org", "banks")])
def test_an_unknown_code_is_named_in_the_error(english, pair):
    with pytest.raises(CommandError, match="no organisation with the code no-such-org"):
        run("dry-run", *pair, "--language", "en")


def test_the_same_organisation_twice_is_refused():
    with pytest.raises(CommandError, match="banks"):
        run("dry-run", "banks", "banks")


def test_list_json_has_every_agreement_with_parties_and_directions():
    proposed = lifecycle.do_propose(
        staff_of("electricity"),
        spec(["electricity", "gas"], [term("electricity", "gas")]),
    )
    listed = {entry["code"]: entry for entry in json.loads(run("list", "--json"))["agreements"]}
    liaison = listed["finance-liaison"]
    assert liaison["status"] == "in_force" and liaison["in_force_now"] and liaison["version"] == 1
    assert liaison["valid_from"] == "2024-04-01" and liaison["valid_to"] is None
    assert [party["code"] for party in liaison["parties"]] == [
        "banks",
        "finance-council",
        "life-insurance",
        "non-life-insurance",
        "securities",
    ]
    assert all(party["accepted_at"] for party in liaison["parties"])
    assert len(liaison["directions"]) == 12
    assert {f"fisc-analysis-{code}" for code in ("banks", "securities", "life-insurance")} <= set(listed)
    mine = listed[proposed.code]
    assert mine["status"] == "proposed" and not mine["in_force_now"]
    assert [p["accepted_at"] is None for p in mine["parties"]] == [False, True]
    assert mine["directions"][0]["from"] == "electricity"


def test_list_text_shows_status_parties_and_terms():
    text = run("list", "--language", "en")
    block = text.split("\n\n")[[b.startswith("finance-liaison") for b in text.split("\n\n")].index(True)]
    assert "v1  in_force (binding now)" in block
    assert "valid: 2024-04-01 – no end date" in block
    assert "securities (accepted " in block
    assert "  banks → life-insurance" in block and "highest TLP: amber" in block


def test_an_unknown_action_exits_non_zero_from_the_command_line():
    # The real command line: the refusal is an exit status and a message, not a traceback. (An unknown
    # organisation code is a CommandError like the one above, which Django turns into exit status 1.)
    completed = subprocess.run(  # noqa: S603 - our own entry point
        [sys.executable, "-m", "ceptoar.cli", "agreements", "no-such-action"],
        capture_output=True,
        text=True,
    )
    assert completed.returncode != 0
    assert "invalid choice: 'no-such-action'" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_text_follows_the_language_in_effect(english):
    # No --language: the language in effect (the site's, Japanese, on the command line).
    assert run("dry-run", "gas", "water").splitlines()[0] == "gas → water: no agreement in force"
