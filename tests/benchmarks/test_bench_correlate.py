"""The correlation benchmark's phase, run tiny inside the test database (the demo is loaded there): it
writes the sightings it says, over the demo's items, and times both sides for each reader."""

from __future__ import annotations

import pytest

from benchmarks import correlate
from ceptoar.intel.models import Sighting

pytestmark = pytest.mark.django_db(transaction=False)


def test_the_phase_writes_its_sightings_and_measures_both_sides():
    result = correlate.measure(sightings=3000, values=40, repeats=2, sets=400)

    assert result["sightings"] == Sighting.objects.count() == 3000
    assert result["stored_values"] == 20
    assert set(result["readers"]) == set(correlate.READERS)
    for figures in result["readers"].values():
        assert figures["correlate_ms"] > 0 and figures["bare_sql_ms"] > 0
        # The bare lookup finds every sighting of the 20 stored values, warning-listed ones included.
        assert figures["sightings_matched"] > 0
        # Whatever the reader may see, it is never more than the sightings matched.
        assert figures["related_items_visible"] <= figures["sightings_matched"]
        assert figures["queries"] <= 5
