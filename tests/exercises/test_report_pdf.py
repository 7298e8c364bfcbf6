"""The after-action report as a PDF (exercises:report_pdf): an A4 attachment named after the exercise,
with 【訓練/EXERCISE】 on every page, Japanese text in the built-in CID font, the exercise's name and
figures, the three charts, and an interim version for a running exercise. The PDF is read back by
decoding its page streams (tests/exercises/test_report_support.py)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from ceptoar.exercises.models import MARK
from tests.exercises.test_report_support import drill, pdf_pages, pdf_text, secretariat  # noqa: F401

pytestmark = pytest.mark.django_db


def _pdf(client, exercise) -> bytes:
    response = client.get(reverse("exercises:report_pdf", args=[exercise.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'attachment; filename="exercise-{exercise.pk}-after-action.pdf"'
    )
    content = response.content
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in content  # A4 in points
    assert b"/BaseFont /HeiseiKakuGo-W5" in content and b"/FontFile" not in content  # built in, not embedded
    return content


def test_the_pdf_is_marked_on_every_page_and_in_japanese(client_as, secretariat):  # noqa: F811
    earlier = drill(secretariat, {"banks-0001": 3}, name="春の情報共有訓練")
    exercise = drill(
        secretariat, {"banks-0001": 2, "banks-0002": 5, "banks-0003": 12}, name="秋の情報共有訓練"
    )
    content = _pdf(client_as("demo-secretariat"), exercise)
    pages = pdf_pages(content)
    text = pdf_text(content)
    assert pages >= 2
    # Each page has the mark in its header and in its footer, and its own page number.
    with translation.override("ja"):
        header = f"{MARK} {gettext('After-action report')} — 秋の情報共有訓練"
    assert text.count(header) == pages
    assert len(re.findall(r"^" + re.escape(MARK) + "$", text, re.M)) == pages
    assert "秋の情報共有訓練" in text and "銀行等CEPTOAR" in text
    assert "75.0%" in text
    assert "セプター → 構成員" in text  # the hop, in the chart and the table
    assert "松見労働金庫 (banks-0004)" in text  # not reached
    assert earlier.name in text and "↑ +50.0" in text  # the comparison


def test_the_pdf_has_the_three_charts(client_as, english, secretariat):  # noqa: F811
    exercise = drill(secretariat, {"banks-0001": 2, "banks-0002": 5, "banks-0003": 12}, name="Charted drill")
    text = pdf_text(_pdf(client_as("demo-secretariat"), exercise))
    assert "Minutes since the inject was sent" in text  # chart 1's axis
    assert "100%" in text and "75.0%" in text  # chart 2's scale and bar labels
    assert "Time to confirmed receipt (minutes)" in text  # chart 3's axis
    # Chart 3 has a bar per organisation that confirmed, labelled with its name and its time.
    for code, label in (
        ("banks-0003", "12 min 0 s"),
        ("banks-0002", "5 min 0 s"),
        ("banks-0001", "2 min 0 s"),
    ):
        assert f"({code})" in text and label in text
    assert "(banks-0004)" in text  # only in the "not reached" table: it never confirmed


def test_a_running_exercise_gets_an_interim_pdf(client_as, english, secretariat):  # noqa: F811
    exercise = drill(secretariat, {"banks-0002": 1}, name="Running drill", finish=False)
    text = pdf_text(_pdf(client_as("demo-secretariat"), exercise))
    assert "Interim report" in text and "Final report" not in text
    assert MARK in text and "Running drill" in text
    assert "25.0%" in text
