"""The comparison with the previous finished exercise of the same participants: previous, now and the
change of each figure, with a word and an arrow (never colour alone) for better or worse; and a sentence
instead when there is no previous exercise."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from ceptoar.exercises import report
from ceptoar.exercises.services import running
from tests.exercises.support import run
from tests.exercises.test_report_support import drill, secretariat  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _comparison_rows(html: str) -> dict[str, dict[str, str]]:
    table = re.search(r'<table class="compact" id="table-comparison">.*?</table>', html, re.S).group(0)
    rows = {}
    for key, verdict, body in re.findall(
        r'<tr data-row="([^"]+)" data-verdict="(\w+)">(.*?)</tr>', table, re.S
    ):
        cells = dict(re.findall(r'<td class="num (previous|now|change)">(.*?)</td>', body, re.S))
        cells["change"] = re.sub(r"<[^>]+>", "", cells["change"]).strip()
        cells["verdict"] = verdict
        cells["words"] = re.search(r'<td class="verdict">(.*?)</td>', body).group(1)
        rows[key] = cells
    return rows


def test_the_report_compares_with_the_previous_exercise(client_as, english, secretariat):  # noqa: F811
    earlier = drill(secretariat, {"banks-0001": 3}, name="Spring drill")
    later = drill(secretariat, {"banks-0001": 2, "banks-0002": 5, "banks-0003": 12}, name="Autumn drill")
    html = client_as("demo-secretariat").get(reverse("exercises:report", args=[later.pk])).content.decode()
    assert "Spring drill" in re.search(r'<section id="comparison">.*?</section>', html, re.S).group(0)
    rows = _comparison_rows(html)
    assert rows["confirmed_rate"] == {
        "previous": "25.0%",
        "now": "75.0%",
        "change": "↑ +50.0 pt",
        "verdict": "improved",
        "words": "Improved",
    }
    assert rows["overall_rate"]["previous"] == "25.0%" and rows["overall_rate"]["now"] == "75.0%"
    assert rows["hop:ceptoar-member"]["change"] == "↑ +50.0 pt"
    # The median time to confirm went from 3 to 5 minutes: longer is worse.
    assert rows["median_ack_s"] == {
        "previous": "3 min 0 s",
        "now": "5 min 0 s",
        "change": "↑ +2 min 0 s",
        "verdict": "worse",
        "words": "Worse",
    }
    assert rows["unreached"] == {
        "previous": "3",
        "now": "1",
        "change": "↓ −2",
        "verdict": "improved",
        "words": "Improved",
    }
    assert rows["wrong_contacts"]["verdict"] == "unchanged" and rows["wrong_contacts"]["change"] == "→ 0"
    assert earlier.final_measures["confirmed_rate"] == 0.25  # what the "previous" column read


def test_the_first_exercise_says_there_is_nothing_to_compare_with(client_as, english, secretariat):  # noqa: F811
    exercise = drill(secretariat, {"banks-0001": 1}, name="First drill")
    html = client_as("demo-secretariat").get(reverse("exercises:report", args=[exercise.pk])).content.decode()
    assert 'id="table-comparison"' not in html
    assert re.search(
        r'<p id="no-previous">There is no previous finished exercise with the same participants', html
    )


def test_other_participants_are_not_compared(secretariat):  # noqa: F811
    other = run(secretariat, name="Other banks", organisations=["banks-0001", "banks-0002"])
    running.finish(other, secretariat)
    exercise = drill(secretariat, {"banks-0001": 1}, name="Four banks")
    assert report.build(exercise)["comparison"] is None


@pytest.mark.parametrize(
    ("kind", "previous", "now", "higher_is_better", "expected"),
    [
        ("rate", 0.8, 0.6, True, ("worse", "↓", "−20.0 pt")),
        ("rate", 0.6, 0.6, True, ("unchanged", "→", "0.0 pt")),
        ("seconds", 600.0, 90.0, False, ("improved", "↓", "−8 min 30 s")),
        ("count", 2, 5, False, ("worse", "↑", "+3")),
        ("rate", None, 0.5, True, ("not_comparable", "", "—")),
    ],
)
def test_each_change_gets_its_verdict_arrow_and_sign(kind, previous, now, higher_is_better, expected):
    with translation.override("en"):
        row = report.compare_value("x", "X", kind, previous, now, higher_is_better)
    assert (row["verdict"], row["arrow"], row["change_display"]) == expected
