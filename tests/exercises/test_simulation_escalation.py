"""The simulated clock: organisations that do not answer are escalated to at T1, T2 and T3 (backup
contacts, the head, the call list), with real e-mails; those that answer after T1 are confirmed late."""

from __future__ import annotations

import pytest

from ceptoar.exercises import simulation

pytestmark = pytest.mark.django_db


def test_with_no_answers_everyone_is_escalated_up_to_the_call_list():
    drill = simulation.simulate(ack_share=0.0, seed=3, ceptoars=["gas"])
    assert drill["confirmed_rate"] == 0.0
    assert drill["acknowledged"] == 0 and drill["median_ack_s"] is None
    recipients = drill["recipients"]
    assert recipients == 1 + 1 + 10
    assert drill["escalations"]["backup"] == recipients
    assert drill["escalations"]["head"] == recipients
    assert drill["escalations"]["call_list"] == recipients
    assert drill["statuses"]["not_confirmed"] == recipients
    # The backup contacts were written to, through the SMTP server, at T1.
    assert drill["deliveries"]["escalation"]["backup"] > 0
    assert drill["deliveries"]["by_status"] == {"sent": drill["deliveries"]["total"]}
    assert drill["simulated_minutes"] >= 120  # the drill ran until the call list (T3, 120 minutes)
    assert drill["flagged_contacts"] > 0


def test_late_answers_are_confirmed_late_after_the_backup_was_written_to(monkeypatch):
    monkeypatch.setattr(simulation, "MEDIAN_ACK_S", 3 * 3600.0)  # most answer long after T1
    drill = simulation.simulate(ack_share=1.0, seed=5, ceptoars=["gas"])
    assert drill["confirmed_rate"] == 1.0
    assert drill["statuses"]["confirmed_late"] > 0
    # Only those still silent at T1 were escalated, and each of them answered in the end.
    assert 0 < drill["escalations"]["backup"] <= drill["statuses"]["confirmed_late"]
    assert drill["median_ack_s"] > 30 * 60
