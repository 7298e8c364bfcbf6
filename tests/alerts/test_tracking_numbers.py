"""The tracking page's numbers on a chain whose answers the test decides: the hub → 経済産業省 and 国土交通省
→ GAS, 電力 and 航空 CEPTOARs → the gas and electricity members (航空 has not relayed yet)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ceptoar.alerts import tracking
from ceptoar.alerts.models import AcknowledgementVia, Recipient
from ceptoar.channels.models import DeliveryStatus
from ceptoar.escalation.models import Call, CallOutcome, FollowUp, FollowUpState, Step
from ceptoar.escalation.status import ReceiptStatus
from tests.alerts.test_tracking_support import (
    acknowledge,
    chain_ids,
    hub_alert,
    mark_failed,
    mark_sent,
    messages_of,
    recipient,
    relay_down,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

GAS_ANSWERED = [f"gas-{i:04d}" for i in range(1, 7)]
ELECTRICITY_ANSWERED = [f"electricity-{i:04d}" for i in range(1, 4)]


@pytest.fixture
def chain(demo_user):
    original = hub_alert(demo_user, ceptoars=["gas", "electricity", "aviation"])
    relay_down(original, skip=("aviation",))
    ids = chain_ids(original)
    sent = mark_sent(ids, [f"gas-{i:04d}" for i in range(1, 9)], after=timedelta(seconds=10))
    failed = mark_failed(ids, ["electricity-0014"])
    # Receipts: one ministry, two CEPTOARs, six gas members (one by phone, one after T1), three electricity.
    for code in [
        "meti",
        "gas",
        "aviation",
        "gas-0001",
        "gas-0002",
        "gas-0003",
        "gas-0004",
        *ELECTRICITY_ANSWERED,
    ]:
        acknowledge(original, code, after=timedelta(minutes=2))
    acknowledge(original, "gas-0005", via=AcknowledgementVia.PHONE, after=timedelta(minutes=3))
    acknowledge(original, "gas-0006", after=timedelta(minutes=45))  # T1 is 30 minutes by default
    # electricity-0013 was called from the call list and did not answer.
    Call.objects.create(
        recipient=recipient(original, "electricity-0013"),
        number="03-0000-0000",
        outcome=CallOutcome.NO_ANSWER,
        called_by=demo_user("demo-hub"),
    )
    # electricity-0004 has been escalated to its backup contacts and then its head.
    late = recipient(original, "electricity-0004")
    FollowUp.objects.filter(recipient=late).update(state=FollowUpState.DONE, done_at=timezone.now())
    FollowUp.objects.create(
        recipient=late,
        step=Step.HEAD,
        due_at=timezone.now(),
        state=FollowUpState.DONE,
        done_at=timezone.now(),
    )
    return {"original": original, "ids": ids, "sent": sent, "failed": failed}


def _by_key(progress_list):
    return {row.key: row for row in progress_list}


def test_the_hub_sees_rates_per_hop(client_as, chain):
    response = client_as("demo-hub").get(reverse("alerts:tracking", args=[chain["original"].pk]))
    assert response.status_code == 200
    hops = response.context["summary"].hops
    assert [(hop.label, hop.total, hop.acknowledged, hop.rate_text) for hop in hops] == [
        ("National hub (NISC) → Sector ministries", 2, 1, "50.0%"),
        ("Sector ministries → CEPTOARs", 3, 2, "66.7%"),
        ("CEPTOARs → Member organisations", 24, 9, "37.5%"),
    ]
    html = response.content.decode()
    hop_table = html.split('id="tracking-hops"')[1].split("</section>")[0]
    assert "National hub (NISC) → Sector ministries" in hop_table and "66.7%" in hop_table


def test_statuses_and_headline_numbers(client_as, chain):
    retrying = messages_of(chain["ids"], ["electricity-0010"]).first()
    retrying.status = DeliveryStatus.RETRYING
    retrying.save(update_fields=["status"])
    summary = (
        client_as("demo-hub").get(reverse("alerts:tracking", args=[chain["original"].pk])).context["summary"]
    )
    everyone = summary.recipients
    assert everyone.total == 29
    assert everyone.counts == {
        ReceiptStatus.CONFIRMED: 10,  # meti, gas, aviation, gas-0001..0004, electricity-0001..0003
        ReceiptStatus.CONFIRMED_LATE: 2,  # gas-0005 by phone, gas-0006 after T1
        ReceiptStatus.UNREACHABLE: 2,  # electricity-0014 every message failed, electricity-0013 no answer
        ReceiptStatus.NOT_CONFIRMED: 15,
    }
    assert everyone.acknowledged == 12 and everyone.rate_text == "41.4%"
    assert summary.reached == 8  # gas-0001..0008 had a message sent to a person
    all_messages = messages_of(chain["ids"], list(_all_codes(chain))).count()
    assert summary.deliveries_sent == chain["sent"] > 0
    assert summary.deliveries_failed == chain["failed"] > 0
    assert summary.deliveries_pending == all_messages - chain["sent"] - chain["failed"]
    assert summary.deliveries_retrying == 1  # one of the pending, failed for now


def _all_codes(chain):
    return Recipient.objects.filter(alert_id__in=chain["ids"]).values_list("organisation__code", flat=True)


def test_relays_count_every_relay_beneath(client_as, chain):
    summary = (
        client_as("demo-hub").get(reverse("alerts:tracking", args=[chain["original"].pk])).context["summary"]
    )
    # meti's and mlit's relays, then gas and electricity under meti.
    assert summary.relays == 4


def test_rates_per_ceptoar_and_per_sector(client_as, chain):
    summary = (
        client_as("demo-hub").get(reverse("alerts:tracking", args=[chain["original"].pk])).context["summary"]
    )
    ceptoars = _by_key(summary.ceptoars)
    assert set(ceptoars) == {"gas", "electricity"}  # aviation has not relayed: no member hop of its own
    assert (ceptoars["gas"].total, ceptoars["gas"].acknowledged, ceptoars["gas"].rate_text) == (
        10,
        6,
        "60.0%",
    )
    assert ceptoars["gas"].confirmed_late == 2
    electricity = ceptoars["electricity"]
    assert (electricity.total, electricity.acknowledged, electricity.rate_text) == (14, 3, "21.4%")
    assert electricity.unreachable == 2
    sectors = _by_key(summary.sectors)
    # A sector counts its CEPTOAR and its members; ministries belong to no sector.
    assert (sectors["gas"].total, sectors["gas"].acknowledged) == (11, 7)
    assert (sectors["electricity"].total, sectors["electricity"].acknowledged) == (15, 3)
    assert (sectors["aviation"].total, sectors["aviation"].acknowledged) == (1, 1)
    assert (sectors[""].label, sectors[""].total) == ("No sector", 2)


def test_bars_are_sized_by_status(client_as, chain):
    summary = (
        client_as("demo-hub").get(reverse("alerts:tracking", args=[chain["original"].pk])).context["summary"]
    )
    gas = _by_key(summary.ceptoars)["gas"]
    assert [(segment.status, segment.count, segment.width) for segment in gas.segments] == [
        (ReceiptStatus.CONFIRMED, 4, "40.00%"),
        (ReceiptStatus.CONFIRMED_LATE, 2, "20.00%"),
        (ReceiptStatus.NOT_CONFIRMED, 4, "40.00%"),
    ]
    html = client_as("demo-hub").get(reverse("alerts:tracking", args=[chain["original"].pk])).content.decode()
    section = html.split('id="tracking-ceptoars"')[1].split("</section>")[0]
    # An SVG bar: each status's rect starts where the one before it ends (no style attribute under the CSP).
    assert '<rect class="track-confirmed" x="0.00%" width="40.00%"' in section
    assert '<rect class="track-confirmed_late" x="40.00%" width="20.00%"' in section
    assert '<rect class="track-not_confirmed" x="60.00%" width="40.00%"' in section


def test_the_organisation_row_tells_times_status_failures_and_escalation(client_as, chain):
    sub = tracking.subtree(chain["original"])
    rows = {row.organisation.code: row for row in tracking.describe(sub, tracking.organisation_rows(sub))}
    gas = rows["gas-0005"]
    assert gas.receipt_status == ReceiptStatus.CONFIRMED_LATE
    assert gas.time_to_delivery == timedelta(seconds=10)
    assert gas.time_to_acknowledgement == timedelta(minutes=3)
    assert gas.acknowledged_via == "Telephone"
    assert gas.sent_by.origin_organisation.code == "gas" and gas.hop == "CEPTOARs → Member organisations"
    assert gas.deliveries_sent >= 1 and gas.deliveries_failed == 0
    bounced = rows["electricity-0014"]
    assert bounced.receipt_status == ReceiptStatus.UNREACHABLE and bounced.first_sent_at is None
    assert bounced.deliveries_failed == chain["failed"] and bounced.deliveries_sent == 0
    assert rows["electricity-0004"].escalation_label == "Head"
    assert rows["electricity-0005"].escalation_label == ""
    assert rows["meti"].hop == "National hub (NISC) → Sector ministries"
    # Those needing attention first: unreachable, then not confirmed, then late, then confirmed.
    order = [row.receipt_status for row in tracking.organisation_rows(sub)]
    assert order == sorted(order, key=tracking.STATUS_ORDER.index)
    assert order[0] == ReceiptStatus.UNREACHABLE and order[-1] == ReceiptStatus.CONFIRMED

    html = client_as("demo-hub").get(reverse("alerts:tracking", args=[chain["original"].pk])).content.decode()
    table = html.split('id="organisations"')[1]
    assert "electricity-0014" in table and "Unreachable" in table and "Head" in table
