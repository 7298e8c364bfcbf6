"""A simulated drill of the water sector: its CEPTOAR's inject reaches the 8 hub cities, which confirm
receipt and relay by their standing rules to the 1,393 water utilities; the figures list that hop, the time
each hub took to relay, and its members' receipts under its relay."""

from __future__ import annotations

import pytest

from ceptoar.exercises import simulation

pytestmark = pytest.mark.django_db

SHARE = 0.75


@pytest.fixture
def drill():
    return simulation.simulate(ack_share=SHARE, seed=3, ceptoars=["water"])


def test_the_water_drill_lists_the_hub_hop_and_each_hubs_relay(drill):
    hops = {(hop["from"], hop["to"]): hop for hop in drill["hops"]}
    assert list(hops) == [
        ("hub", "ministry"),
        ("ministry", "ceptoar"),
        ("ceptoar", "subgroup"),
        ("subgroup", "member"),
    ]
    hubs = hops[("ceptoar", "subgroup")]
    assert hubs["recipients"] == 8 and hubs["acknowledged"] == simulation.exact_count(SHARE, 8) == 6
    members = hops[("subgroup", "member")]
    assert members["recipients"] == 1393
    assert members["acknowledged"] == simulation.exact_count(SHARE, 1393)
    # No water utility was sent the inject by the CEPTOAR itself.
    assert ("ceptoar", "member") not in hops
    assert drill["organisations"] == 1 + 1 + 8 + 1393  # MHLW, the water CEPTOAR, its hubs, the utilities

    by_hub = {hub["code"]: hub for hub in drill["relay_hubs"]}
    assert len(by_hub) == 8 and by_hub["water-hub-kanto"]["members"] == 330
    assert sum(hub["members"] for hub in by_hub.values()) == 1393
    assert sum(hub["members_acknowledged"] for hub in by_hub.values()) == members["acknowledged"]
    for hub in by_hub.values():
        assert hub["relayed_automatically"] is True and hub["relay_s"] is not None
    at_hubs = next(entry for entry in drill["relay_time"] if entry["at"] == "subgroup")
    assert at_hubs["count"] == 8 and at_hubs["never"] == 0
