"""The one writer of CSV and XLSX files (`utilities.exports`): text that a spreadsheet could run as a formula is
written inert, everything else as it was, numbers and dates typed; and no module writes CSV or XLSX past it."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.formula import ArrayFormula

import ceptoar
from ceptoar.utilities import exports
from tests.inert import PAYLOADS, assert_csv_inert, assert_xlsx_inert, read_csv, xlsx_text

# Found by spreadsheet programs after what they may skip or fold (see the module docstring of exports).
TRICKY = (
    " =1+1",
    "\n=1+1",
    "\u3000=1+1",  # ideographic space
    "\u200b=1+1",  # zero-width space
    "\ufeff@SUM(1)",
    '＝HYPERLINK("http://x")',  # full-width
    "＋1",
    "－1",
    "＠SUM(1)",
    "\tplain",  # OWASP: a leading tab or carriage return, whatever follows
    "\rplain",
)
ORDINARY = (
    "",
    "GAS CEPTOAR",
    "社団法人日本ガス協会",
    "a=b",
    "1-2",
    "e-mail: x@example.jp",
    "'=already quoted",
    "  spaces  ",
    "—",
    "2026-03-31T09:00:00+09:00",
)
JST = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("text", PAYLOADS + TRICKY)
def test_formula_like_text_is_recognised(text):
    assert exports.could_be_formula(text)
    assert exports.inert_text(text) == "'" + text


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_alone(text):
    assert not exports.could_be_formula(text)
    assert exports.inert_text(text) == text


def test_csv_quotes_formulas_and_keeps_everything_else(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    moment = datetime.datetime(2026, 3, 31, 14, 30, 5, tzinfo=datetime.UTC)
    rows = [
        ["text", "number", "float", "when", "day", "none"],
        *[[text, 7, 2.5, moment, datetime.date(2026, 4, 1), None] for text in PAYLOADS + TRICKY + ORDINARY],
    ]
    text = exports.to_csv(rows)
    parsed = read_csv(exports.BOM + text)
    assert_csv_inert(parsed, list(PAYLOADS + TRICKY))
    assert [row[0] for row in parsed[1:]] == [exports.inert_text(t) for t in PAYLOADS + TRICKY + ORDINARY]
    for row in parsed[1:]:
        assert row[1:] == ["7", "2.5", "2026-03-31T23:30:05+09:00", "2026-04-01", ""]
    # Numbers are bare, every text is quoted: a separator inside a text (";" in some locales) stays in it.
    lines = text.split("\r\n")
    assert lines[1].startswith('"\'=HYPERLINK(""http://x"",""y"")",7,2.5,"2026-03-31T23:30:05+09:00"')
    assert exports.to_csv([["a;=1+1", "b,c"]]) == '"a;=1+1","b,c"\r\n'


def test_csv_lines_streams_one_line_per_row_as_rows_come():
    produced = []

    def rows():
        for number in range(3):
            produced.append(number)
            yield [f"-{number}", number]

    lines = exports.csv_lines(rows())
    assert next(lines) == '"\'-0",0\r\n'
    assert produced == [0]  # the second row is not asked for before the first line is out
    assert list(lines) == ['"\'-1",1\r\n', '"\'-2",2\r\n']


def test_csv_download_and_stream_are_attachments_with_a_bom():
    rows = [["name"], ["=1+1"]]
    response = exports.csv_download(rows, "x.csv")
    streamed = exports.csv_stream(iter(rows), "y.csv")
    for reply, filename in ((response, "x.csv"), (streamed, "y.csv")):
        assert reply["Content-Type"] == "text/csv; charset=utf-8"
        assert reply["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert reply["Cache-Control"] == "private, no-store"
        assert reply["X-Content-Type-Options"] == "nosniff"
    body = b"".join(streamed.streaming_content)
    assert body == response.content
    assert read_csv(body) == [["name"], ["'=1+1"]]


def test_xlsx_writes_text_as_marked_string_cells_and_numbers_typed(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    moment = datetime.datetime(2026, 3, 31, 14, 30, 5, 999999, tzinfo=datetime.UTC)
    texts = PAYLOADS + TRICKY + ORDINARY[1:]
    rows = [["text", "number", "when", "day", "none"]]
    rows += [[text, 7, moment, datetime.date(2026, 4, 1), None] for text in texts]
    content = exports.table_to_xlsx(rows, "A title: with / odd [characters]", widths=(30, 8))
    assert_xlsx_inert(content, list(texts))
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.title == "A title  with   odd  characters"[:31]
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:E{len(rows)}"
    assert sheet.column_dimensions["A"].width == 30
    for number, text in enumerate(texts, start=2):
        cell = sheet.cell(row=number, column=1)
        assert cell.value == xlsx_text(text) and cell.data_type == "s"
        # "\rplain" is "\nplain" in a cell (a line break), which no program reads as a formula.
        assert cell.quotePrefix == (text in PAYLOADS + TRICKY and text != "\rplain")
        assert sheet.cell(row=number, column=2).value == 7
        assert sheet.cell(row=number, column=2).data_type == "n"
        # Excel has no time zones: the time as read in Japan.
        assert sheet.cell(row=number, column=3).value == datetime.datetime(2026, 3, 31, 23, 30, 5)
        assert sheet.cell(row=number, column=3).is_date
        assert sheet.cell(row=number, column=4).value == datetime.datetime(2026, 4, 1)
        assert sheet.cell(row=number, column=5).value is None


def test_xlsx_text_that_xml_cannot_hold_or_a_cell_cannot_take():
    book = Workbook()
    sheet = book.active
    exports.put(sheet, 1, 1, "a\x01b\x0bc")
    exports.put(sheet, 2, 1, "x" * 40000)
    exports.put(sheet, 3, 1, "line\r\nbreak\rhere")
    loaded = load_workbook(io.BytesIO(exports.xlsx_bytes(book))).active
    assert loaded["A1"].value == "abc"
    assert len(loaded["A2"].value) == exports.XLSX_CELL_MAX and loaded["A2"].value.endswith("…")
    assert loaded["A3"].value == "line\nbreak\nhere"


def test_xlsx_bytes_makes_text_of_cells_written_past_the_writer():
    book = Workbook()
    sheet = book.active
    sheet["A1"] = '=HYPERLINK("http://x","y")'  # openpyxl makes this a formula
    sheet["A2"] = "-1+1"
    sheet["A3"] = ArrayFormula("A3", "=SUM(1)")
    sheet["A4"] = "plain"
    assert sheet["A1"].data_type == "f"
    content = exports.xlsx_bytes(book)
    cells = assert_xlsx_inert(content, ['=HYPERLINK("http://x","y")', "-1+1", "=SUM(1)"])
    by_place = {cell.coordinate: cell for cell in cells}
    assert by_place["A4"].value == "plain" and not by_place["A4"].quotePrefix


def test_the_checks_of_the_tests_catch_a_formula():
    """The read-back helpers fail on the files the platform used to write."""
    book = Workbook()
    book.active["A1"] = "=1+1"
    raw = io.BytesIO()
    book.save(raw)
    with pytest.raises(AssertionError):
        assert_xlsx_inert(raw.getvalue(), [])
    with pytest.raises(AssertionError):
        assert_csv_inert([["=1+1"]], [])


# -- every export goes through the writer ----------------------------------------------------------

SOURCE = Path(ceptoar.__file__).resolve().parent
WRITER = SOURCE / "utilities" / "exports.py"


def _sources():
    return [path for path in SOURCE.rglob("*.py") if path != WRITER and "migrations" not in path.parts]


def test_no_module_writes_csv_past_the_writer():
    writers = re.compile(r"\bcsv\.(writer|DictWriter)\s*\(|QUOTE_(MINIMAL|ALL|NONNUMERIC|NONE)\b")
    found = [str(path.relative_to(SOURCE)) for path in _sources() if writers.search(path.read_text())]
    assert found == []


def test_every_workbook_is_saved_by_the_writer():
    found = []
    for path in _sources():
        text = path.read_text()
        builds = "openpyxl" in text and re.search(r"\bWorkbook\s*\(", text)
        if builds and ("exports.xlsx_bytes(" not in text or re.search(r"\.save\s*\(", text)):
            found.append(str(path.relative_to(SOURCE)))
    assert found == []
