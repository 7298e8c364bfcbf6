"""The measures of a small drill whose every answer the test sets: who acknowledged when, which messages
went out when, which escalation steps ran, which calls were made."""

from __future__ import annotations

import pytest

from ceptoar.exercises import measures
from tests.exercises.support import DRILL_BANKS, five_bank_drill

pytestmark = pytest.mark.django_db

CODES = DRILL_BANKS


@pytest.fixture
def drill(demo_user):
    return five_bank_drill(demo_user("demo-secretariat"))


def test_rates_per_hop_sector_and_ceptoar(drill):
    result = measures.compute(drill)
    assert result["organisations"] == 5 and result["recipients"] == 5 and result["acknowledged"] == 3
    assert result["confirmed_rate"] == 0.6 and result["overall_rate"] == 0.6
    assert result["statuses"] == {"confirmed": 2, "confirmed_late": 1, "not_confirmed": 0, "unreachable": 2}
    [hop] = result["hops"]
    assert (hop["from"], hop["to"], hop["total"], hop["acknowledged"], hop["confirmed_rate"]) == (
        "ceptoar",
        "member",
        5,
        3,
        0.6,
    )
    assert [(c["key"], c["confirmed_rate"]) for c in result["by_ceptoar"]] == [("banks", 0.6)]
    assert [(s["key"], s["total"]) for s in result["by_sector"]] == [("finance", 5)]
    [inject] = result["injects"]
    assert inject["confirmed_rate"] == 0.6 and inject["relays"] == 0


def test_time_distributions_and_the_curve(drill):
    result = measures.compute(drill)
    assert result["delivery_time"]["count"] == 5
    assert result["delivery_time"]["median_s"] == 30 and result["delivery_time"]["max_s"] == 50
    ack = result["ack_time"]
    assert (ack["count"], ack["never"], ack["median_s"], ack["max_s"]) == (3, 2, 120, 2700)
    assert [b["count"] for b in ack["histogram"]] == [0, 2, 0, 0, 1, 0, 0, 0]
    curve = {point["minute"]: point["acknowledged"] for point in result["ack_curve"]}
    assert curve[0] == 0 and curve[1] == 1 and curve[2] == 2 and curve[44] == 2 and curve[45] == 3
    assert [row["code"] for row in result["slowest"]] == ["banks-0003", "banks-0002", "banks-0001"]


def test_escalations_calls_unreached_and_wrong_contacts(drill):
    result = measures.compute(drill)
    assert result["escalations"] == {"backup": 3, "head": 2, "call_list": 2}
    assert result["calls"] == {"total": 2, "reached": 0, "no_answer": 1, "wrong_number": 1}
    assert [(row["code"], row["status"]) for row in result["unreached"]] == [
        ("banks-0004", "unreachable"),
        ("banks-0005", "unreachable"),
    ]
    tried = result["unreached"][0]
    assert {c["step"] for c in tried["contacts"]} >= {"", "backup"}
    assert tried["calls"] == [{"number": drill.wrong_channel.value, "outcome": "wrong_number"}]
    assert [(w["code"], w["address"]) for w in result["wrong_contacts"]] == [
        ("banks-0004", drill.wrong_channel.value)
    ]


def test_measures_are_json_ready(drill):
    import json

    assert json.loads(json.dumps(measures.compute(drill)))["confirmed_rate"] == 0.6
