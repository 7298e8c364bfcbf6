"""The statistics page (reports:statistics) and its CSV (reports:statistics_csv): who may open them, the
tables and SVG charts, the filters and their errors, and a CSV with the page's numbers and nothing more."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest
from django.urls import reverse

from ceptoar.reports.models import Report
from tests.reports.test_statistics_support import reports_fixture  # noqa: F401 - the `reports` fixture

pytestmark = pytest.mark.django_db

PAGE = reverse("reports:statistics")
CSV = reverse("reports:statistics_csv")
HEADER = [
    "Month",
    "Sector code",
    "Sector",
    "Event type code",
    "Event type",
    "Cause class code",
    "Cause class",
    "Cause code",
    "Cause",
    "Reports",
]


def _csv(client, **params) -> list[dict[str, str]]:
    response = client.get(CSV, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="report-statistics-')
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


# -- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["demo-member", "demo-analyst", "demo-water", "demo-auditor"])
def test_members_and_auditors_get_403(client_as, username, reports):
    client = client_as(username)
    assert client.get(PAGE).status_code == 403
    response = client.get(CSV)
    assert response.status_code == 403
    assert b"leak" not in response.content


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "login" in response["Location"]
    assert client.get(CSV).status_code == 302


@pytest.mark.parametrize("username", ["demo-secretariat", "demo-ministry", "demo-hub", "demo-coordinator"])
def test_secretariats_ministries_and_the_hub_may_open_it(client_as, username):
    assert client_as(username).get(PAGE).status_code == 200


# -- the page -------------------------------------------------------------------------------------


def test_page_shows_the_tables_with_totals(client_as, english, reports):
    response = client_as("demo-secretariat").get(PAGE)
    assert response.status_code == 200
    stats = response.context["statistics"]
    assert stats.total == 4
    html = response.content.decode()
    sectors = re.search(r'<table id="table-sectors">.*?</table>', html, re.S).group(0)
    finance = re.search(r'<tr data-sector="finance">(.*?)</tr>', sectors, re.S).group(1)
    cells = re.findall(r'<td class="num[^"]*">(?:<strong>)?(\d+)', finance)
    # precursor, leak, destruction, unavailability, malware, malicious code, intrusion, other, total
    assert cells == ["0", "1", "0", "2", "1", "0", "0", "0", "4"]
    assert "Finance" in sectors and "Unavailability" in sectors
    footer = re.search(r"<tfoot>(.*?)</tfoot>", sectors, re.S).group(1)
    assert re.findall(r"<strong>(\d+)</strong>", footer) == ["0", "1", "0", "2", "1", "0", "0", "0", "4"]

    classes = re.search(r'<table id="table-cause-classes">.*?</table>', html, re.S).group(0)
    unavailability = re.search(r'<tr data-event-type="unavailability">(.*?)</tr>', classes, re.S).group(1)
    # intentional, accidental, environmental, other, reports (each once)
    assert re.findall(r'<td class="num[^"]*">(?:<strong>)?(\d+)', unavailability) == ["1", "1", "0", "0", "2"]
    months = re.search(r'<table class="compact" id="table-months">.*?</table>', html, re.S).group(0)
    assert re.findall(r'<tr data-month="([\d-]+)">', months) == ["2026-02", "2026-03", "2026-04"]
    causes = re.search(r'<table class="compact" id="table-causes">.*?</table>', html, re.S).group(0)
    assert causes.count("<tr data-cause=") == 6
    assert "Theft of information" in causes


def test_page_says_how_several_causes_are_counted(client_as, english, reports):
    html = client_as("demo-hub").get(PAGE).content.decode()
    assert 'id="counting-note"' in html
    assert "counted once under each of its causes" in html and "only once in every total" in html


def test_charts_are_inline_svg_with_titles_a_legend_and_no_script(client_as, english, reports):
    html = (
        client_as("demo-secretariat")
        .get(PAGE, {"month_from": "2026-01", "month_to": "2026-05"})
        .content.decode()
    )
    assert "<script" not in html and "cdn" not in html.lower()
    chart = re.search(r'<svg class="chart" id="chart-months".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in chart and 'aria-labelledby="chart-months-title chart-months-desc"' in chart
    assert '<title id="chart-months-title">Reports by month of occurrence and event type</title>' in chart
    # One bar group per month of the period, the empty ones included.
    assert re.findall(r'<g class="month" data-month="([\d-]+)">', chart) == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
    ]
    april = re.search(r'<g class="month" data-month="2026-04">.*?</g>', chart, re.S).group(0)
    assert "<title>2026-04: 2 reports</title>" in april
    assert re.search(
        r'<rect [^>]*fill="#0072B2" class="event-unavailability"><title>2026-04 · Unavailability: 2 reports',
        april,
    )
    assert "<rect" not in re.search(r'<g class="month" data-month="2026-01">.*?</g>', chart, re.S).group(0)
    # Stacked: in March nothing but the leak; the legend names every event type in its colour.
    assert 'class="event-leak"><title>2026-03 · Leak: 1 report</title>' in chart
    legend = re.search(r'<ul class="plain toc chart-legend">.*?</ul>', html, re.S).group(0)
    assert legend.count("<li>") == 8 and 'fill="#56B4E9"' in legend and "Leak" in legend
    causes = re.search(r'<svg class="chart" id="chart-causes".*?</svg>', html, re.S).group(0)
    assert (
        '<g class="cause-class" data-cause-class="intentional"><title>Intentional (cyber attack): 3 reports'
        in causes
    )


def test_page_is_japanese_by_default(client_as, reports):
    response = client_as("demo-hub").get(PAGE)
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "分野" in html  # the sector column, and the sector names of the registry
    assert "金融" in html and "水道" in html


def test_filters_narrow_the_page(client_as, english, reports):
    client = client_as("demo-hub")
    response = client.get(PAGE, {"sector": "water"})
    assert response.status_code == 200
    stats = response.context["statistics"]
    assert stats.total == 1 and [row.code for row in stats.sector_by_event_type.rows] == ["water"]
    response = client.get(PAGE, {"event_type": "malware", "cause_class": "intentional"})
    assert response.context["statistics"].total == 1
    response = client.get(PAGE, {"month_from": "2026-04"})
    assert response.context["statistics"].total == 0
    assert "No report you may see matches these filters." in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"month_from": "2026-13"}, "From (month)", "“2026-13” is not a month: write it as YYYY-MM"),
        ({"month_to": "March"}, "To (month)", "“March” is not a month"),
        (
            {"month_from": "2026-04", "month_to": "2026-02"},
            "To (month)",
            "The period ends (2026-02) before it starts (2026-04).",
        ),
        ({"month_from": "2010-01", "month_to": "2026-02"}, "To (month)", "at most 120 months"),
        ({"sector": "nowhere"}, "Sector", "There is no sector called “nowhere”."),
        ({"event_type": "alien"}, "Event type", "There is no event type called “alien”."),
        ({"cause_class": "fate"}, "Cause class", "There is no cause class called “fate”."),
    ],
)
def test_bad_filters_are_named_on_their_field(client_as, english, reports, params, field, message):
    client = client_as("demo-secretariat")
    before = Report.objects.count()
    response = client.get(PAGE, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-box"' in html and f"{field}: " in html and message in html
    assert response.context["statistics"] is None and "<svg" not in html
    csv_response = client.get(CSV, params)
    assert csv_response.status_code == 400
    assert message in csv_response.content.decode()
    assert Report.objects.count() == before


# -- the CSV --------------------------------------------------------------------------------------


def test_csv_has_one_row_per_month_sector_event_type_and_cause(client_as, english, reports):
    rows = _csv(client_as("demo-secretariat"))
    assert [
        (row["Month"], row["Sector code"], row["Event type code"], row["Cause code"], row["Reports"])
        for row in rows
    ] == [
        ("2026-02", "finance", "malware", "intentional.suspicious_mail", "1"),
        ("2026-03", "finance", "leak", "intentional.information_theft", "1"),
        ("2026-03", "finance", "leak", "accidental.operator_error", "1"),
        ("2026-04", "finance", "unavailability", "intentional.dos", "1"),
        ("2026-04", "finance", "unavailability", "accidental.hardware_failure", "1"),
        ("2026-04", "finance", "unavailability", "accidental.software_defect", "1"),
    ]
    first = rows[0]
    assert first["Sector"] == "Finance" and first["Event type"] == "Malware"
    assert first["Cause class code"] == "intentional" and first["Cause class"] == "Intentional (cyber attack)"
    assert first["Cause"] == "Suspicious e-mail received"


def test_csv_has_the_same_numbers_as_the_page(client_as, english, reports):
    client = client_as("demo-hub")
    for params in ({}, {"sector": "finance"}, {"cause_class": "intentional"}, {"month_to": "2026-03"}):
        stats = client.get(PAGE, params).context["statistics"]
        rows = _csv(client, **params)
        by_cause = Counter()
        for row in rows:
            by_cause[row["Cause code"]] += int(row["Reports"])
        assert dict(by_cause) == {row.cause: row.reports for row in stats.causes}, params
        # Every (month, sector, event type) of the CSV is a non-empty cell of the page, and the other way round.
        csv_cells = {(row["Month"], row["Event type code"]) for row in rows}
        page_cells = {
            (month.label, column.code)
            for month in stats.months
            for column, value in zip(stats.event_types, month.cells, strict=True)
            if value
        }
        assert csv_cells == page_cells, params
        sector_cells = {
            (row.code, column.code)
            for row in stats.sector_by_event_type.rows
            for column, value in zip(stats.sector_by_event_type.columns, row.cells, strict=True)
            if value
        }
        assert {(row["Sector code"], row["Event type code"]) for row in rows} == sector_cells, params


def test_csv_is_in_japanese_by_default_and_excel_can_read_it(client_as, reports):
    response = client_as("demo-hub").get(CSV)
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    water = next(row for row in rows if row[1] == "water")
    assert water[2] == "水道" and water[-1] == "1"
    assert response.content.count(b"\r\n") == len(rows)


def test_csv_download_link_keeps_the_filters(client_as, english, reports):
    html = client_as("demo-hub").get(PAGE, {"sector": "finance", "event_type": "leak"}).content.decode()
    assert f'href="{CSV}?sector=finance&amp;event_type=leak"' in html


@pytest.mark.parametrize(
    ("username", "organisation", "expected", "kept_below", "total"),
    [
        # FSA holds hops of A, B and C; C was for the secretariat only.
        (
            "demo-ministry",
            "fsa",
            {"intentional.information_theft", "accidental.operator_error", "intentional.dos"},
            ["c"],
            2,
        ),
        # NISC holds hops of A, B, C, D and W; B stopped at the ministry, C at the secretariat.
        (
            "demo-hub",
            "nisc",
            {
                "intentional.information_theft",
                "accidental.operator_error",
                "intentional.suspicious_mail",
                "environmental.power_outage",
            },
            ["b", "c"],
            3,
        ),
    ],
)
def test_consent_boundary_holds_on_the_page_and_in_the_csv(
    client_as, english, reports, username, organisation, expected, kept_below, total
):
    # The stray hops are there: only the policy keeps these reports out.
    for name in kept_below:
        assert getattr(reports, name).hops.filter(organisation__code=organisation).exists()
    client = client_as(username)
    rows = _csv(client)
    assert {row["Cause code"] for row in rows} == expected
    forbidden_causes = {
        cause
        for name in kept_below
        for cause in getattr(reports, name).cause_rows.values_list("cause", flat=True)
    }
    # Not even when asked for exactly their month and event type.
    april = _csv(client, month_from="2026-04", month_to="2026-04", event_type="unavailability")
    assert not forbidden_causes & {row["Cause code"] for row in april}
    stats = client.get(PAGE).context["statistics"]
    assert not forbidden_causes & {row.cause for row in stats.causes}
    assert stats.total == total
    assert stats.sector_by_event_type.cell("finance", "unavailability") == (
        1 if username == "demo-ministry" else 0
    )
    assert stats.event_type_by_cause_class.cell("unavailability", "accidental") == 0
