"""The numbers of the report statistics (reports.statistics): exact counts per cell for the secretariat,
the ministry and the hub, months in Japan time, several causes per report, the filters, and the
reporter's consent, which no stray hop can get round."""

from __future__ import annotations

from datetime import date

import pytest

from ceptoar.reports import statistics
from ceptoar.reports.statistics import Filters
from tests.reports.test_statistics_support import ALL_EVENT_TYPES, reports_fixture  # noqa: F401 - the `reports` fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _cells(table) -> dict[tuple[str, str], int]:
    """The non-zero cells of a table, by (row code, column code)."""
    return {
        (row.code, column.code): value
        for row in table.rows
        for column, value in zip(table.columns, row.cells, strict=True)
        if value
    }


def _months(stats) -> dict[str, dict[str, int]]:
    return {
        row.label: {
            column.code: value for column, value in zip(stats.event_types, row.cells, strict=True) if value
        }
        for row in stats.months
    }


def test_secretariat_counts_its_ceptoars_submitted_reports_by_sector_and_event_type(reports, demo_user):
    stats = statistics.compute(demo_user("demo-secretariat"))
    # A, B, C and D: not the water report (another CEPTOAR), not the draft.
    assert stats.total == 4
    table = stats.sector_by_event_type
    assert [column.code for column in table.columns] == ALL_EVENT_TYPES
    assert [row.code for row in table.rows] == ["finance"]
    assert _cells(table) == {
        ("finance", "leak"): 1,
        ("finance", "unavailability"): 2,
        ("finance", "malware"): 1,
    }
    assert table.row_total("finance") == 4
    assert table.column_total("unavailability") == 2 and table.column_total("intrusion") == 0
    assert table.total == 4


def test_months_are_japan_time_months_with_the_empty_ones_in_between(reports, demo_user):
    stats = statistics.compute(demo_user("demo-secretariat"))
    # A (2026-03-31 23:30 JST, 14:30 UTC) is March; B (2026-04-01 00:30 JST, still 31 March in UTC) is April.
    assert _months(stats) == {
        "2026-02": {"malware": 1},
        "2026-03": {"leak": 1},
        "2026-04": {"unavailability": 2},
    }
    assert [row.total for row in stats.months] == [1, 1, 2]
    assert stats.month_maximum == 2

    hub = statistics.compute(
        demo_user("demo-hub"), Filters(month_from=date(2026, 1, 1), month_to=date(2026, 5, 1))
    )
    assert [row.label for row in hub.months] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert [row.total for row in hub.months] == [0, 1, 2, 0, 0]


def test_a_period_filter_cuts_at_midnight_japan_time(reports, demo_user):
    secretariat = demo_user("demo-secretariat")
    march = statistics.counted_reports(
        secretariat, Filters(month_from=date(2026, 3, 1), month_to=date(2026, 3, 1))
    )
    assert set(march) == {reports.a}
    from_april = statistics.compute(secretariat, Filters(month_from=date(2026, 4, 1)))
    assert from_april.total == 2
    assert _cells(from_april.sector_by_event_type) == {("finance", "unavailability"): 2}
    until_march = statistics.compute(secretariat, Filters(month_to=date(2026, 3, 1)))
    assert _cells(until_march.sector_by_event_type) == {("finance", "leak"): 1, ("finance", "malware"): 1}
    assert [row.label for row in until_march.months] == ["2026-02", "2026-03"]


def test_a_report_counts_under_each_of_its_causes_and_once_in_totals(reports, demo_user):
    stats = statistics.compute(demo_user("demo-secretariat"))
    assert {row.cause: row.reports for row in stats.causes} == {
        "intentional.suspicious_mail": 1,
        "intentional.information_theft": 1,
        "intentional.dos": 1,
        "accidental.operator_error": 1,
        "accidental.hardware_failure": 1,
        "accidental.software_defect": 1,
    }
    assert sum(row.reports for row in stats.causes) == 6 > stats.total == 4
    # Grouped by class in the choices' order.
    assert [row.cause_class for row in stats.causes] == ["intentional"] * 3 + ["accidental"] * 3

    table = stats.event_type_by_cause_class
    assert [column.code for column in table.columns] == [
        "intentional",
        "accidental",
        "environmental",
        "other",
    ]
    # A (leak) has an intentional and an accidental cause: once under each. C has two accidental causes: once.
    assert _cells(table) == {
        ("leak", "intentional"): 1,
        ("leak", "accidental"): 1,
        ("unavailability", "intentional"): 1,
        ("unavailability", "accidental"): 1,
        ("malware", "intentional"): 1,
    }
    assert [(row.code, row.total) for row in table.rows] == [
        ("leak", 1),
        ("unavailability", 2),
        ("malware", 1),
    ]
    assert table.column_total("intentional") == 3 and table.column_total("accidental") == 2
    assert table.column_total("environmental") == 0
    assert table.total == 4
    assert statistics.counts_by_cause_class(demo_user("demo-secretariat")) == {
        "intentional": 3,
        "accidental": 2,
    }


def test_filters_by_sector_event_type_and_cause_class(reports, demo_user):
    hub = demo_user("demo-hub")
    finance = statistics.compute(hub, Filters(sector="finance"))
    assert finance.total == 2 and [row.code for row in finance.sector_by_event_type.rows] == ["finance"]
    water = statistics.compute(hub, Filters(sector="water"))
    assert _cells(water.sector_by_event_type) == {("water", "unavailability"): 1}
    assert statistics.compute(hub, Filters(sector="gas")).total == 0

    secretariat = demo_user("demo-secretariat")
    unavailability = statistics.compute(secretariat, Filters(event_type="unavailability"))
    assert [column.code for column in unavailability.event_types] == ["unavailability"]
    assert set(statistics.counted_reports(secretariat, Filters(event_type="unavailability"))) == {
        reports.b,
        reports.c,
    }
    assert unavailability.sector_by_event_type.cell("finance", "unavailability") == 2

    accidental = statistics.compute(secretariat, Filters(cause_class="accidental"))
    # Reports with an accidental cause (A and C); only their accidental causes are broken down.
    assert set(statistics.counted_reports(secretariat, Filters(cause_class="accidental"))) == {
        reports.a,
        reports.c,
    }
    assert accidental.total == 2
    assert [column.code for column in accidental.cause_classes] == ["accidental"]
    assert {row.cause: row.reports for row in accidental.causes} == {
        "accidental.operator_error": 1,
        "accidental.hardware_failure": 1,
        "accidental.software_defect": 1,
    }
    assert _cells(accidental.event_type_by_cause_class) == {
        ("leak", "accidental"): 1,
        ("unavailability", "accidental"): 1,
    }

    combined = statistics.compute(
        secretariat,
        Filters(month_from=date(2026, 4, 1), event_type="unavailability", cause_class="intentional"),
    )
    assert set(statistics.counted_reports(secretariat, combined.filters)) == {reports.b}
    assert combined.total == 1 and [row.cause for row in combined.causes] == ["intentional.dos"]


def test_the_ministry_counts_only_what_reached_it_within_consent(reports, demo_user):
    ministry = demo_user("demo-ministry")
    # FSA hops exist for A (hub consent), B (ministry consent) and C (secretariat only): C is not counted.
    assert set(statistics.counted_reports(ministry)) == {reports.a, reports.b}
    stats = statistics.compute(ministry)
    assert stats.total == 2
    assert _cells(stats.sector_by_event_type) == {("finance", "leak"): 1, ("finance", "unavailability"): 1}
    assert "accidental.hardware_failure" not in {row.cause for row in stats.causes}
    assert _months(stats) == {"2026-03": {"leak": 1}, "2026-04": {"unavailability": 1}}


def test_the_hub_never_counts_a_report_kept_below_the_hub(reports, demo_user):
    hub = demo_user("demo-hub")
    # NISC hops exist for A, B, C, D and W; B went only as far as the ministry, C only to the secretariat.
    assert set(statistics.counted_reports(hub)) == {reports.a, reports.d, reports.w}
    stats = statistics.compute(hub)
    assert stats.total == 3
    assert _cells(stats.sector_by_event_type) == {
        ("finance", "leak"): 1,
        ("finance", "malware"): 1,
        ("water", "unavailability"): 1,
    }
    assert [row.code for row in stats.sector_by_event_type.rows] == ["finance", "water"]
    assert {row.cause for row in stats.causes} == {
        "intentional.information_theft",
        "accidental.operator_error",
        "intentional.suspicious_mail",
        "environmental.power_outage",
    }
    # Even asked for exactly C's month, event type and cause class, the hub counts nothing.
    narrowed = Filters(month_from=date(2026, 4, 1), month_to=date(2026, 4, 1), event_type="unavailability")
    assert statistics.compute(hub, narrowed).total == 0
    assert statistics.detailed_counts(hub, narrowed) == {}


def test_drafts_and_other_ceptoars_are_not_counted(reports, demo_user):
    secretariat = demo_user("demo-secretariat")
    counted = set(statistics.counted_reports(secretariat))
    assert reports.draft not in counted and reports.w not in counted
    # The coordinator of T-CEPTOAR has nothing reported to it.
    coordinator = statistics.compute(demo_user("demo-coordinator"))
    assert coordinator.total == 0 and coordinator.months == [] and coordinator.causes == []


def test_the_counts_are_grouped_by_the_database_in_a_fixed_number_of_queries(
    reports, demo_user, django_assert_max_num_queries
):
    hub = demo_user("demo-hub")
    hub.organisation  # noqa: B018 - loaded before counting queries
    with django_assert_max_num_queries(7):
        stats = statistics.compute(hub)
    assert stats.total == 3
    with django_assert_max_num_queries(2):
        rows = statistics.csv_rows(hub)
    assert len(rows) == 4


def test_detailed_counts_hold_one_key_per_month_sector_event_type_and_cause(reports, demo_user):
    assert statistics.detailed_counts(demo_user("demo-secretariat")) == {
        (date(2026, 2, 1), "finance", "malware", "intentional", "intentional.suspicious_mail"): 1,
        (date(2026, 3, 1), "finance", "leak", "intentional", "intentional.information_theft"): 1,
        (date(2026, 3, 1), "finance", "leak", "accidental", "accidental.operator_error"): 1,
        (date(2026, 4, 1), "finance", "unavailability", "intentional", "intentional.dos"): 1,
        (date(2026, 4, 1), "finance", "unavailability", "accidental", "accidental.hardware_failure"): 1,
        (date(2026, 4, 1), "finance", "unavailability", "accidental", "accidental.software_defect"): 1,
    }


def test_months_helpers():
    assert statistics.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert statistics.next_month(date(2026, 3, 1)) == date(2026, 4, 1)
    assert statistics.months_between(date(2025, 11, 1), date(2026, 2, 1)) == 4
    assert statistics.month_start(date(2026, 4, 1)).isoformat() == "2026-04-01T00:00:00+09:00"
