"""The measures of a small drill whose every answer the test sets: who acknowledged when, which messages
went out when, which escalation steps ran, which calls were made."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ceptoar.alerts.acknowledgements import acknowledge
from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia, Recipient
from ceptoar.channels.models import Delivery, DeliveryStatus
from ceptoar.escalation.models import CallOutcome
from ceptoar.escalation.services import log_call, run_due_follow_ups
from ceptoar.exercises import measures
from ceptoar.registry.models import ChannelKind, ContactChannel
from tests.exercises.support import run

pytestmark = pytest.mark.django_db

CODES = [f"banks-{n:04d}" for n in range(1, 6)]


def _ack(recipient: Recipient, at) -> None:
    acknowledge(recipient, via=AcknowledgementVia.PORTAL)
    Acknowledgement.objects.filter(recipient=recipient).update(acknowledged_at=at)


def _phone(recipient: Recipient) -> ContactChannel:
    return ContactChannel.objects.filter(
        contact__organisation=recipient.organisation, kind=ChannelKind.PHONE, contact__is_active=True
    ).first()


@pytest.fixture
def drill(demo_user):
    """Five banks: 0001 and 0002 confirm within a minute or two, 0003 after the backup contacts were sent
    to (late), 0004's number proves wrong and 0005 does not answer the phone."""
    secretariat = demo_user("demo-secretariat")
    exercise = run(secretariat, organisations=CODES)
    alert = exercise.injects.get().alert
    start = alert.published_at
    by_code = {
        r.organisation.code: r for r in Recipient.objects.filter(alert=alert).select_related("organisation")
    }
    for number, code in enumerate(CODES, start=1):
        Delivery.objects.filter(recipient=by_code[code], escalation_step="").update(
            status=DeliveryStatus.SENT, sent_at=start + timedelta(seconds=10 * number)
        )
    _ack(by_code["banks-0001"], start + timedelta(seconds=60))
    _ack(by_code["banks-0002"], start + timedelta(seconds=120))
    run_due_follow_ups(now=start + timedelta(minutes=31))
    _ack(by_code["banks-0003"], start + timedelta(minutes=45))
    run_due_follow_ups(now=start + timedelta(minutes=61))
    run_due_follow_ups(now=start + timedelta(minutes=121))
    wrong = _phone(by_code["banks-0004"])
    log_call(secretariat, by_code["banks-0004"].pk, wrong.pk, "", CallOutcome.WRONG_NUMBER)
    silent = _phone(by_code["banks-0005"])
    log_call(secretariat, by_code["banks-0005"].pk, silent.pk, "", CallOutcome.NO_ANSWER)
    exercise.wrong_channel = wrong
    return exercise


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
