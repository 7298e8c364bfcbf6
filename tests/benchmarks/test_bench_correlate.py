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


def test_the_phase_leaves_the_planner_statistics_of_the_test_database_alone():
    """Inside the test database the phase gathers no statistics: they outlive the test's rollback, and
    tables analysed while empty mislead the planner for every later test."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "planner statistics are PostgreSQL's (the PostgreSQL suite, which CI always runs, checks it)"
        )

    def reltuples(table: str) -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            return cursor.fetchone()[0]

    before = {table: reltuples(table) for table in ("escalation_followup", "intel_sighting")}
    correlate.measure(sightings=300, values=10, repeats=1, sets=20)
    assert {table: reltuples(table) for table in before} == before
