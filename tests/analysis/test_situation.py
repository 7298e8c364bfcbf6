"""What the situation page shows each reader: only what it may see, with the statistics' own numbers."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ceptoar.alerts import tracking
from ceptoar.analysis import situation
from ceptoar.reports import statistics
from ceptoar.reports.models import Case, Report
from tests.alerts.test_tracking_support import acknowledge, hub_alert, relay_down, sender_for
from tests.analysis.support import forward, send_report

pytestmark = pytest.mark.django_db

PAGE = reverse("analysis:situation")


@pytest.fixture
def two_reports(demo_user):
    """A report the reporter let go to the hub (forwarded to the ministry and the hub), and one it kept to
    its secretariat, each of its own event type and cause class. No other report exists."""
    Case.objects.all().delete()
    Report.objects.all().delete()
    member, secretariat = demo_user("demo-member"), demo_user("demo-secretariat")
    shared = send_report(
        member,
        scope="hub",
        event_type="unavailability",
        causes=["accidental.hardware_failure"],
        title="Shared: disk failure stopped the ATM network",
    )
    forward(secretariat, shared, "ministry", "hub")
    secret = send_report(
        member,
        scope="secretariat",
        event_type="leak",
        causes=["intentional.information_theft"],
        title="SECRET-ONLY customer data taken",
        ago=timedelta(days=40),
    )
    return shared, secret


def _heat_cells(content: str) -> dict[tuple[str, str], int]:
    """{(sector, event type): count} read from the rendered heat map."""
    if 'id="table-heat-map"' not in content:
        return {}
    table = content[content.index('id="table-heat-map"') :]
    table = table[: table.index("</table>")]
    cells = {}
    for sector, row in re.findall(r'<tr data-sector="([^"]*)">(.*?)</tr>', table, re.S):
        for event_type, count in re.findall(r'data-event-type="([^"]*)" data-count="(\d+)"', row):
            cells[(sector, event_type)] = int(count)
    return cells


def _total(content: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}">([\d,]+)<', content)
    assert match, element_id
    return int(match.group(1).replace(",", ""))


@pytest.mark.parametrize("username", ["demo-ministry", "demo-hub"])
def test_ministry_and_hub_never_count_a_secretariat_only_report(client_as, username, two_reports):
    response = client_as(username).get(PAGE)
    assert response.status_code == 200
    content = response.content.decode()
    found = response.context["situation"]
    assert found.statistics.total == 1
    assert _total(content, "reports-total") == 1
    assert sum(row.total for row in found.statistics.months) == 1
    assert dict(((c.code, n) for c, n in found.cause_classes)) == {
        "intentional": 0,
        "accidental": 1,
        "environmental": 0,
        "other": 0,
    }
    cells = _heat_cells(content)
    assert cells[("finance", "unavailability")] == 1
    assert cells.get(("finance", "leak"), 0) == 0
    assert sum(cells.values()) == 1
    assert "SECRET-ONLY" not in content


def test_the_secretariat_counts_both(client_as, two_reports):
    response = client_as("demo-secretariat").get(PAGE)
    content = response.content.decode()
    assert response.context["situation"].statistics.total == 2
    assert _total(content, "reports-total") == 2
    cells = _heat_cells(content)
    assert cells[("finance", "leak")] == 1 and cells[("finance", "unavailability")] == 1


def test_the_coordinator_of_another_ceptoar_counts_neither(client_as, two_reports):
    response = client_as("demo-coordinator").get(PAGE)
    assert response.context["situation"].statistics.total == 0
    assert 'id="no-reports"' in response.content.decode()


@pytest.mark.parametrize("username", ["demo-hub", "demo-ministry", "demo-secretariat", "demo-coordinator"])
def test_heat_map_numbers_equal_the_statistics_numbers(client_as, demo_user, username, two_reports):
    # Add a water report the hub may see, so the hub's map has two sectors.
    water = send_report(
        demo_user("demo-water"),
        scope="hub",
        event_type="malware",
        causes=["intentional.suspicious_mail"],
        title="Suspicious mail",
        ceptoar_code="water",
    )
    assert water.pk
    user = demo_user(username)
    response = client_as(username).get(PAGE)
    filters = situation.last_months()
    expected = {key: n for key, n in statistics.counts_by_sector_and_event_type(user, filters).items() if n}
    shown = {key: n for key, n in _heat_cells(response.content.decode()).items() if n}
    assert shown == expected
    heat = response.context["situation"].heat_map
    assert heat.total == sum(expected.values())
    assert heat.total == statistics.compute(user, filters).total


def test_heat_map_counts_the_demo_reports_as_the_statistics_do(demo_user):
    # Whatever the demo data holds, for the hub the map and the statistics agree cell by cell.
    user = demo_user("demo-hub")
    filters = situation.last_months()
    found = situation.assess(user)
    cells = {(row.code, cell.column.code): cell.count for row in found.heat_map.rows for cell in row.cells}
    expected = statistics.counts_by_sector_and_event_type(user, filters)
    assert {k: v for k, v in cells.items() if v} == {k: v for k, v in expected.items() if v}


def test_heat_levels_grow_with_the_count_and_the_legend_covers_every_count():
    assert situation.heat_level(0, 10) == 0
    assert situation.heat_level(10, 10) == situation.HEAT_LEVELS
    levels = [situation.heat_level(n, 37) for n in range(1, 38)]
    assert levels == sorted(levels) and levels[0] >= 1
    for maximum in (1, 2, 3, 7, 37):
        bands = situation._legend(maximum)[1:]
        covered = [n for band in bands for n in range(band.low, band.high + 1)]
        assert covered == list(range(1, maximum + 1))
        for band in bands:
            assert situation.heat_level(band.low, maximum) == band.level
            assert situation.heat_level(band.high, maximum) == band.level


def test_the_heat_map_has_an_accessible_legend_and_shades(client_as, english, two_reports):
    content = client_as("demo-secretariat").get(PAGE).content.decode()
    assert 'id="heat-legend"' in content and "Legend" in content
    # The shades are classes of the static stylesheet (the CSP refuses style attributes): the darkest in
    # the legend and on the busiest cell, and every level has its rule.
    darkest = f"heat-{situation.HEAT_LEVELS}"
    assert f'class="heat-swatch {darkest}"' in content and f'class="num {darkest}"' in content
    css = finders.find("core/site.css")
    assert all(f"td.heat-{level}" in Path(css).read_text() for level in range(1, situation.HEAT_LEVELS + 1))
    assert "<caption" in content[content.index('id="table-heat-map"') :]


# -- open alerts ------------------------------------------------------------------------------------


def _rows_by_pk(rows):
    return {row.alert.pk: row for row in rows}


def test_open_alerts_the_reader_may_not_see_are_not_listed(client_as, demo_user):
    gas_alert = hub_alert(demo_user, ceptoars=["gas"])
    banks_only = hub_alert(demo_user, ceptoars=["banks"])
    ministry_page = client_as("demo-ministry").get(PAGE)
    listed = _rows_by_pk(ministry_page.context["situation"].open_alerts)
    assert gas_alert.pk not in listed  # sent to METI, not to the FSA
    assert banks_only.pk in listed
    content = ministry_page.content.decode()
    assert f'data-alert="{gas_alert.pk}"' not in content
    assert f'data-alert="{banks_only.pk}"' in content
    hub_listed = _rows_by_pk(situation.open_alert_rows(demo_user("demo-hub")))
    assert gas_alert.pk in hub_listed and banks_only.pk in hub_listed


def test_closed_alerts_are_not_open(demo_user):
    from ceptoar.alerts.services import closing

    alert = hub_alert(demo_user, ceptoars=["banks"])
    closing.close(alert, demo_user("demo-hub"))
    assert alert.pk not in _rows_by_pk(situation.open_alert_rows(demo_user("demo-hub")))


def test_confirmed_receipt_rate_is_the_tracking_pages(client_as, english, demo_user):
    original = hub_alert(demo_user, ceptoars=["gas"])
    relays = relay_down(original)
    acknowledge(original, "meti")
    acknowledge(original, "gas")
    for code in ("gas-0001", "gas-0002", "gas-0003"):
        acknowledge(original, code)
    gas_relay = next(relay for relay in relays if relay.origin_organisation.code == "gas")

    for user, alert in ((demo_user("demo-hub"), original), (sender_for("gas"), gas_relay)):
        rows = _rows_by_pk(situation.open_alert_rows(user))
        row = rows[alert.pk]
        assert row.trackable is tracking.can_track(user, alert) is True
        expected = tracking.summarise(tracking.subtree(alert)).recipients
        assert (row.progress.total, row.progress.acknowledged) == (expected.total, expected.acknowledged)
        assert row.progress.rate_text == expected.rate_text
    # The hub's rate: METI, gas and three of gas's ten members out of 1 + 1 + 10.
    hub_row = _rows_by_pk(situation.open_alert_rows(demo_user("demo-hub")))[original.pk]
    assert (hub_row.progress.acknowledged, hub_row.progress.total) == (5, 12)
    content = client_as("demo-hub").get(PAGE).content.decode()
    row_html = content[content.index(f'data-alert="{original.pk}"') :]
    assert "41.7%" in row_html[: row_html.index("</tr>")]


def test_alerts_the_reader_may_not_track_show_no_rate(client_as, english, demo_user):
    alert = hub_alert(demo_user, ceptoars=["banks"])
    relays = relay_down(alert, skip=("banks",))  # the FSA relays to the banks' CEPTOAR, which has not yet
    fsa_relay = next(relay for relay in relays if relay.origin_organisation.code == "fsa")
    secretariat = demo_user("demo-secretariat")
    rows = _rows_by_pk(situation.open_alert_rows(secretariat))
    assert alert.pk not in rows  # the nearest hop: the FSA's relay, not the hub's original
    row = rows[fsa_relay.pk]
    assert row.trackable is tracking.can_track(secretariat, fsa_relay) is False
    assert row.progress is None
    content = client_as("demo-secretariat").get(PAGE).content.decode()
    row_html = content[content.index(f'data-alert="{fsa_relay.pk}"') :]
    assert "not tracked by you" in row_html[: row_html.index("</tr>")]
    # The FSA tracks its own relay.
    ministry = demo_user("demo-ministry")
    assert _rows_by_pk(situation.open_alert_rows(ministry))[fsa_relay.pk].trackable is True


def test_the_open_alert_list_costs_the_same_queries_whatever_its_length(demo_user):
    hub = demo_user("demo-hub")
    hub_alert(demo_user, ceptoars=["gas"])
    situation.open_alert_rows(hub)  # warm the user's organisation
    with CaptureQueriesContext(connection) as one:
        situation.open_alert_rows(hub, limit=1)
    for _n in range(3):
        relay_down(hub_alert(demo_user, ceptoars=["gas"]))
    with CaptureQueriesContext(connection) as four:
        rows = situation.open_alert_rows(hub, limit=4)
    assert len(rows) == 4 and all(row.trackable for row in rows)
    assert len(four.captured_queries) == len(one.captured_queries)


# -- cases and summaries ----------------------------------------------------------------------------


def test_newest_cases_are_the_readers_library(demo_user):
    for username in ("demo-hub", "demo-member", "demo-ministry"):
        user = demo_user(username)
        from ceptoar.reports.cases import library_cases

        expected = list(library_cases(user).order_by("-published_at", "-pk")[:5])
        assert situation.newest_cases(user) == expected


def test_the_page_links_the_newest_cases(client_as, demo_user):
    from ceptoar.reports.cases import library_cases

    cases = list(library_cases(demo_user("demo-hub")).order_by("-published_at", "-pk")[:5])
    content = client_as("demo-hub").get(PAGE).content.decode()
    for case in cases:
        assert reverse("reports:case_detail", args=[case.pk]) in content
    if not cases:
        assert 'id="no-cases"' in content
