"""A simulated drill on two CEPTOARs, in the test database: the figures it prints are the exercise's own
measures, the share of members that confirm is exactly the one asked for, and the confirmations came the
ways a member has (the link in an e-mail the SMTP server received, or the portal)."""

from __future__ import annotations

import pytest

from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia, Alert
from ceptoar.exercises import simulation
from ceptoar.exercises.models import MARK, Exercise, ExerciseStatus

pytestmark = pytest.mark.django_db

CEPTOARS = ["gas", "electricity"]  # 10 + 14 members; electricity's demo members have user accounts


@pytest.fixture
def drill():
    return simulation.simulate(ack_share=0.75, seed=7, ceptoars=CEPTOARS)


def test_the_figures_have_every_key_the_issue_asks_for(drill):
    for key in ("organisations", "confirmed_rate", "hops", "by_ceptoar", "median_ack_s"):
        assert key in drill
    for hop in drill["hops"]:
        assert {"from", "to", "confirmed_rate"} <= set(hop)
    assert [(hop["from"], hop["to"]) for hop in drill["hops"]] == [
        ("hub", "ministry"),
        ("ministry", "ceptoar"),
        ("ceptoar", "member"),
    ]
    assert drill["organisations"] == 1 + 2 + 24  # METI, the two CEPTOARs, their members
    assert drill["median_ack_s"] > 0
    assert drill["ack_share"] == 0.75 and drill["seed"] == 7 and drill["ceptoars"] == CEPTOARS


def test_exactly_the_share_of_each_hop_confirms(drill):
    members = next(hop for hop in drill["hops"] if hop["to"] == "member")
    assert members["recipients"] == 24
    assert members["acknowledged"] == simulation.exact_count(0.75, 24) == 18
    assert drill["confirmed_rate"] == 0.75
    ceptoars = next(hop for hop in drill["hops"] if hop["to"] == "ceptoar")
    assert ceptoars["acknowledged"] == 2  # 0.75 × 2 = 1.5, rounded half up
    # Spread over the CEPTOARs: 7.5 of gas's 10 and 10.5 of electricity's 14, one of them rounded up.
    assert set(drill["by_ceptoar"]) == {"GAS CEPTOAR", "電力におけるIT障害に係る情報共有・分析機能"}
    assert sorted(drill["by_ceptoar"].values()) == sorted([round(7 / 10, 4), round(11 / 14, 4)])
    assert drill["could_not_acknowledge"] == 0
    assert drill["acknowledged"] == drill["chosen_to_acknowledge"] == 1 + 2 + 18


def test_members_confirm_by_the_e_mailed_link_or_the_portal(drill):
    exercise = Exercise.objects.get(pk=drill["exercise_id"])
    acknowledgements = Acknowledgement.objects.filter(recipient__alert__exercise=exercise)
    by_link = acknowledgements.filter(via=AcknowledgementVia.EMAIL_LINK)
    on_portal = acknowledgements.filter(via=AcknowledgementVia.PORTAL)
    assert by_link.count() == drill["acknowledged_via"]["email_link"] > 0
    assert on_portal.count() == drill["acknowledged_via"]["portal"] > 0
    # A link names the point of contact it was sent to; the portal, the user.
    assert not by_link.filter(by_contact=None).exists()
    assert not on_portal.filter(by_user=None).exists()
    for ack in on_portal.select_related("by_user", "recipient"):
        assert ack.by_user.organisation_id == ack.recipient.organisation_id
    # Every message of the drill went to the SMTP server and was stamped sent.
    assert drill["deliveries"]["by_status"] == {"sent": drill["deliveries"]["total"]}
    assert drill["messages_accepted_by_sink"] == drill["deliveries"]["total"]


def test_the_drill_is_a_finished_exercise_marked_as_such(drill):
    exercise = Exercise.objects.get(pk=drill["exercise_id"])
    assert exercise.status == ExerciseStatus.FINISHED
    assert exercise.final_measures["confirmed_rate"] == drill["confirmed_rate"]
    alerts = Alert.objects.filter(exercise=exercise)
    assert alerts.count() == drill["alerts_in_relay_tree"] == 1 + 1 + 2  # hub, METI, the two CEPTOARs
    assert all(alert.title.startswith(MARK) for alert in alerts)
