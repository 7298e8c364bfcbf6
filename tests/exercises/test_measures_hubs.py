"""The measures and the scoreboard of a drill that goes through relay hubs: the hub hop is a hop of its own,
with each hub's receipt, the time it took to relay, and its members' receipts under its relay."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.alerts.models import AcknowledgementVia, Recipient
from ceptoar.alerts.services.acknowledgements import acknowledge
from ceptoar.exercises import measures
from ceptoar.exercises.models import ExerciseKind, ExerciseStatus
from ceptoar.registry.models import Membership
from tests.alerts.test_tracking_support import relay_as
from tests.exercises.support import run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_the_measures_and_the_scoreboard_count_the_hub_hop(client_as, demo_user):
    kanto = list(
        Membership.objects.filter(via__code="water-hub-kanto")
        .order_by("member__code")
        .values_list("member__code", flat=True)[:2]
    )
    exercise = run(
        demo_user("demo-hub"),
        name="水道 中継拠点 訓練",
        kind=ExerciseKind.CROSS_SECTOR,
        organisations=[*kanto, "water-0001"],  # water-0001 is reached through the president city
    )
    inject = exercise.injects.get().alert
    water = relay_as(relay_as(inject, "mhlw"), "water")
    hubs = {
        r.organisation.code: r for r in Recipient.objects.filter(alert=water).select_related("organisation")
    }
    assert set(hubs) == {"water-hub-kanto", "water-hub-president"}
    kanto_relay = relay_as(water, "water-hub-kanto")
    assert set(
        Recipient.objects.filter(alert=kanto_relay).values_list("organisation__code", flat=True)
    ) == set(kanto)
    acknowledge(hubs["water-hub-kanto"], AcknowledgementVia.PORTAL)
    acknowledge(
        Recipient.objects.get(alert=kanto_relay, organisation__code=kanto[0]), AcknowledgementVia.PORTAL
    )

    figures = measures.compute(exercise)
    hops = {(hop["from"], hop["to"]): hop for hop in figures["hops"]}
    assert (hops[("ceptoar", "subgroup")]["total"], hops[("ceptoar", "subgroup")]["acknowledged"]) == (2, 1)
    assert (hops[("subgroup", "member")]["total"], hops[("subgroup", "member")]["acknowledged"]) == (2, 1)
    assert ("ceptoar", "member") not in hops
    by_hub = {hub["code"]: hub for hub in figures["relay_hubs"]}
    assert by_hub["water-hub-kanto"]["relay_s"] is not None
    assert by_hub["water-hub-kanto"]["relayed_automatically"] is False
    assert (by_hub["water-hub-kanto"]["members"], by_hub["water-hub-kanto"]["members_acknowledged"]) == (2, 1)
    assert by_hub["water-hub-kanto"]["status"] == "confirmed"
    assert by_hub["water-hub-president"]["relay_s"] is None and by_hub["water-hub-president"]["members"] == 0
    at_hubs = next(entry for entry in figures["relay_time"] if entry["at"] == "subgroup")
    assert (at_hubs["count"], at_hubs["never"]) == (1, 1)

    page = client_as("demo-hub").get(reverse("exercises:scoreboard", args=[exercise.pk]))
    assert page.status_code == 200
    table = page.content.decode().split('id="relay-hubs-table"')[1].split("</table>")[0]
    assert "water-hub-kanto" in table and "water-hub-president" in table and "not yet relayed" in table


def test_a_finished_exercise_kept_without_hub_figures_still_shows(client_as, demo_user):
    exercise = run(demo_user("demo-hub"), kind=ExerciseKind.CROSS_SECTOR, organisations=["gas-0001"])
    figures = measures.compute(exercise)
    for key in ("relay_time", "relay_hubs"):
        figures.pop(key)
    exercise.status, exercise.final_measures = ExerciseStatus.FINISHED, figures  # read as kept, not anew
    exercise.finished_at = exercise.ends_at
    exercise.save()
    page = client_as("demo-hub").get(reverse("exercises:scoreboard", args=[exercise.pk]))
    assert page.status_code == 200 and 'id="relay-hubs-table"' not in page.content.decode()
