"""The after-action report as a PDF (exercises:report_pdf): an A4 attachment named after the exercise,
with 【訓練/EXERCISE】 on every page, Japanese text in an embedded TrueType font, the exercise's name and
figures, the three charts, and an interim version for a running exercise. The PDF is read back by
decoding its page streams (tests/exercises/test_report_support.py)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from ceptoar.exercises.models import MARK
from tests.exercises.test_report_support import (  # noqa: F401
    drill,
    fonts_drawn_with,
    pdf_objects,
    pdf_pages,
    pdf_text,
    secretariat,
)

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
    assert_fonts_embedded(content)
    return content


def assert_fonts_embedded(content: bytes) -> None:
    """Every Japanese font is a TrueType subset with its font file, so a reader without a Japanese font
    pack shows it: no CID font is named without one (reportlab's HeiseiKakuGo-W5 was)."""
    objects = pdf_objects(content)
    fonts = [body for body in objects.values() if re.search(rb"/Type /Font\b(?!Descriptor)", body)]
    embedded = [body for body in fonts if b"/Subtype /TrueType" in body]
    assert embedded, "no TrueType font in the PDF"
    for body in embedded:
        assert re.search(rb"/BaseFont /[A-Z]{6}\+IPAexGothic", body), body[:200]  # a subset of the font
        descriptor = objects[int(re.search(rb"/FontDescriptor (\d+) 0 R", body).group(1))]
        assert b"/FontFile2 " in descriptor
    assert not [body for body in fonts if b"/Type0" in body or b"HeiseiKakuGo" in body]
    # Every string is shown in an embedded font (an unembedded one is only an initial state, never drawn).
    names = {re.search(rb"/Name /(\S+)", body).group(1) for body in embedded}
    drawn = fonts_drawn_with(content)
    assert drawn and drawn <= names, drawn - names
    assert b"/FontFile2 " in content


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
