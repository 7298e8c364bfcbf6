"""The after-action report page (exercises:report): the marking, the headline rates and the hop, sector
and CEPTOAR tables as kept in `final_measures`, the three SVG charts with as many bars and points as
there are figures, and an interim report while the exercise runs."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ceptoar.exercises.models import MARK
from tests.exercises.test_report_support import drill, secretariat  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

ACKNOWLEDGING = {"banks-0001": 2, "banks-0002": 5, "banks-0003": 12}


def _svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', html, re.S)
    assert match, f"chart {chart_id} missing"
    return match.group(0)


def _row(html: str, table_id: str, attribute: str, key: str) -> dict[str, str]:
    table = re.search(rf'<table class="compact" id="{table_id}">.*?</table>', html, re.S).group(0)
    row = re.search(rf'<tr data-{attribute}="{re.escape(key)}">(.*?)</tr>', table, re.S).group(1)
    return dict(re.findall(r'<td class="num ([a-z_-]+)">([^<]*)</td>', row))


def test_the_final_report_shows_the_kept_measures(client_as, english, secretariat):  # noqa: F811
    exercise = drill(secretariat, ACKNOWLEDGING, name="Drill of four banks")
    final = exercise.final_measures
    response = client_as("demo-secretariat").get(reverse("exercises:report", args=[exercise.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert MARK in re.search(r'<p class="exercise-mark" id="report-mark".*?</p>', html, re.S).group(0)
    assert MARK in re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert 'id="report-kind" data-final="true"' in html and "Final report" in html
    assert "Drill of four banks" in html
    assert final["confirmed_rate"] == 0.75
    assert re.search(r'id="confirmed-rate">75.0%<', html)
    assert re.search(r'id="overall-rate">75.0%<', html)

    [hop] = final["hops"]
    assert (hop["from"], hop["to"], hop["total"], hop["acknowledged"]) == ("ceptoar", "member", 4, 3)
    cells = _row(html, "table-hops", "hop", hop["key"])
    assert (cells["total"], cells["acknowledged"], cells["rate"]) == ("4", "3", "75.0%")
    assert cells["status-not_confirmed"] == str(hop["statuses"]["not_confirmed"]) == "1"
    for sector in final["by_sector"]:
        cells = _row(html, "table-sectors", "sector", sector["key"])
        assert cells["total"] == str(sector["total"])
        assert cells["acknowledged"] == str(sector["acknowledged"])
        assert cells["rate"] == f"{sector['confirmed_rate'] * 100:.1f}%"
    assert _row(html, "table-ceptoars", "ceptoar", "banks")["rate"] == "75.0%"
    times = re.search(r'<tr data-time="ack_time">(.*?)</tr>', html, re.S).group(1)
    assert "5 min 0 s" in times and "12 min 0 s" in times  # median of 2, 5, 12 min; the longest
    assert 'data-organisation="banks-0004"' in re.search(
        r'id="table-unreached".*?</table>', html, re.S
    ).group(0)
    assert re.search(r'id="flagged-contacts">\s*Contacts flagged for verification in the registry: \d+', html)
    assert f'href="{reverse("exercises:report_pdf", args=[exercise.pk])}"' in html


def test_the_charts_have_a_bar_or_point_per_figure(client_as, english, secretariat):  # noqa: F811
    exercise = drill(secretariat, ACKNOWLEDGING, name="Charted drill")
    final = exercise.final_measures
    html = client_as("demo-secretariat").get(reverse("exercises:report", args=[exercise.pk])).content.decode()

    curve = _svg(html, "chart-ack-curve")
    assert "<title" in curve and "<desc" in curve and 'role="img"' in curve
    points = re.findall(r'<circle class="point" data-minute="(\d+)" data-rate="([\d.]+)"', curve)
    assert len(points) == len(final["ack_curve"]) > 2
    assert [(int(m), float(r)) for m, r in points] == [(p["minute"], p["rate"]) for p in final["ack_curve"]]
    assert float(points[-1][1]) == 0.75

    rates = _svg(html, "chart-rates")
    bars = re.findall(r'<g class="bar" data-group="(\w+)" data-key="([^"]*)" data-value="([\d.]+)"', rates)
    assert len(bars) == len(final["hops"]) + len(final["by_sector"])
    assert ("hop", "ceptoar-member", "0.75") in bars
    assert "By hop" in rates and "By sector" in rates  # each group is named, not told by colour alone

    slowest = _svg(html, "chart-slowest")
    bars = re.findall(
        r'<g class="bar" data-group="slowest" data-key="([^"]*)" data-value="([\d.]+)"', slowest
    )
    assert bars == [("banks-0003", "720.0"), ("banks-0002", "300.0"), ("banks-0001", "120.0")]


def test_a_running_exercise_gets_an_interim_report(client_as, english, secretariat):  # noqa: F811
    exercise = drill(secretariat, {"banks-0002": 1}, name="Still running", finish=False)
    assert exercise.final_measures is None
    response = client_as("demo-secretariat").get(reverse("exercises:report", args=[exercise.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-final="false"' in html and "Interim report" in html
    assert re.search(r'id="confirmed-rate">25.0%<', html)
    assert "Contacts are flagged for verification in the registry when the exercise ends." in html
    assert len(re.findall(r'<g class="bar" data-group="slowest"', html)) == 1


def test_an_exercise_not_yet_started_has_an_empty_report(client_as, english, secretariat):  # noqa: F811
    from tests.exercises.support import plan

    exercise = plan(secretariat, name="Planned drill", organisations=["banks-0001"])
    client = client_as("demo-secretariat")
    html = client.get(reverse("exercises:report", args=[exercise.pk])).content.decode()
    assert 'data-final="false"' in html and html.count("Nothing has been sent yet.") >= 2
    assert re.search(r'id="confirmed-rate">—<', html)
    assert client.get(reverse("exercises:report_pdf", args=[exercise.pk])).content.startswith(b"%PDF-")
