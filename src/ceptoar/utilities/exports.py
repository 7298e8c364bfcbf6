"""Every CSV and XLSX file the platform writes goes through here, so that no cell of it runs as a formula.

A spreadsheet program reads a cell whose text begins with ``=``, ``+``, ``-`` or ``@`` as a formula, and a
name such as ``=HYPERLINK("http://…","…")`` becomes a link that sends the neighbouring cells away when the
secretariat opens the map (CWE-1236, OWASP "CSV Injection"). Organisation, sector and contact names,
alert titles, attachment names and error texts of remote servers all reach the exports, so every text
cell is treated as hostile:

- CSV: a text that could start a formula gets a single quote in front (OWASP's recommendation, also
  Symfony's, csv-stringify's and PapaParse's). Which texts could: those beginning with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return (OWASP's list), and, as a precaution since a spreadsheet program
  may skip or fold what comes first (LibreOffice's "trim spaces" CSV import option trims leading blanks;
  Japanese input turns full-width ``＝`` into ``=``), those whose first visible character is one of the
  four after spaces, line breaks, control or invisible format characters, or in its full-width or small
  form (``＝``, ``＋``, ``－``, ``＠``: the NFKC form is compared).
  Every text field is quoted too, so that a separator inside it (``;`` in locales that split on it) cannot
  start a new cell either. The text is otherwise written as it is.
- XLSX: every text is a string cell (``data_type 's'``), never a formula and never a number guessed from
  text; one that could start a formula also carries Excel's own quote-prefix mark, so that editing the
  cell keeps it text and the text itself stays intact. Line breaks are written as line feeds (a carriage
  return does not survive XML), characters XML cannot hold (the other control characters) are dropped,
  and a text longer than a cell holds (32,767 characters) is cut.
  `xlsx_bytes` checks every cell once more before saving, however it was written.
- Numbers (int, float) and dates the export itself produces stay numbers and dates: they are the export's
  own values, never text a person typed, and a reader wants to sort and add them.

This module knows nothing of the platform's domain: the areas hand it rows.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

# The byte-order mark makes Excel read a CSV as UTF-8 instead of the locale's Shift_JIS.
BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FORMULA_STARTS = frozenset("=+-@")
# OWASP: a cell must not begin with any of these.
DANGEROUS_FIRST = FORMULA_STARTS | {"\t", "\r"}
QUOTE = "'"
# Excel's limit on the characters of one cell.
XLSX_CELL_MAX = 32767
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
XLSX_DATE_FORMAT = "yyyy-mm-dd"


def _skipped(character: str) -> bool:
    """Whether a spreadsheet might pass over this character before deciding what the cell is."""
    return character.isspace() or unicodedata.category(character) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def could_be_formula(text: str) -> bool:
    """Whether a spreadsheet program could read `text` as a formula (see the module docstring)."""
    if not text:
        return False
    if text[0] in DANGEROUS_FIRST:
        return True
    for character in text:
        if not _skipped(character):
            return unicodedata.normalize("NFKC", character)[:1] in FORMULA_STARTS
    return False


def inert_text(text: str) -> str:
    """`text`, with a single quote in front if a spreadsheet could read it as a formula."""
    return QUOTE + text if could_be_formula(text) else text


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- CSV ------------------------------------------------------------------------------------------


def csv_value(value) -> str | int | float:
    """One CSV cell: numbers as they are, dates in ISO 8601 (aware ones in Japan time, with the offset),
    None as empty, anything else as inert text."""
    if value is None:
        return ""
    if _is_number(value):
        return value
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return inert_text(str(value))


class _Line:
    """A file whose write() returns what it was given, so csv.writer hands back each line it writes."""

    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterable[Sequence]) -> Iterator[str]:
    """Each row as one line of CSV, CRLF-terminated: what a streaming response yields, row by row."""
    # QUOTE_NONNUMERIC quotes every text and leaves the export's own numbers bare.
    writer = csv.writer(_Line(), quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    for row in rows:
        yield writer.writerow([csv_value(value) for value in row])


def to_csv(rows: Iterable[Sequence]) -> str:
    """The whole CSV text, without the byte-order mark (a file or a download adds it)."""
    return "".join(csv_lines(rows))


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str):
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    # Exports hold registry and receipt data: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


def csv_download(rows: Iterable[Sequence], filename: str) -> HttpResponse:
    """A CSV attachment built in memory, with the byte-order mark."""
    return _attachment(HttpResponse(BOM + to_csv(rows), content_type=CSV_CONTENT_TYPE), filename)


def csv_stream(rows: Iterable[Sequence], filename: str) -> StreamingHttpResponse:
    """A CSV attachment written row by row as the rows come (a long audit log), with the byte-order mark.
    Anything the rows need from the request (translated headers) must be worked out before."""

    def lines():
        yield BOM
        yield from csv_lines(rows)

    return _attachment(StreamingHttpResponse(lines(), content_type=CSV_CONTENT_TYPE), filename)


# -- XLSX -----------------------------------------------------------------------------------------


def _xlsx_text(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # A line break in a cell is a line feed (Excel's Alt+Enter); XML would turn a carriage return into one
    # as the file is read anyway, so the file says what the reader will get.
    text = ILLEGAL_CHARACTERS_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text if len(text) <= XLSX_CELL_MAX else text[: XLSX_CELL_MAX - 1] + "…"


def _make_text(cell) -> None:
    if not isinstance(cell.value, str):  # a formula object (array or data-table formula)
        cell.value = _xlsx_text(str(getattr(cell.value, "text", cell.value)))
    # After the value: openpyxl makes any text beginning with "=" a formula as it is assigned.
    cell.data_type = "s"
    cell.quotePrefix = could_be_formula(cell.value)


def write_cell(cell, value):
    """Put `value` in an openpyxl cell: numbers and dates typed (aware dates in Japan time, as Excel has no
    time zones), None empty, anything else a string cell. Returns the cell."""
    if value is None or _is_number(value):
        cell.value = value
    elif isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        # To the second, as the CSV has it.
        cell.value = local.replace(tzinfo=None, microsecond=0)
        cell.number_format = XLSX_DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = XLSX_DATE_FORMAT
    else:
        cell.value = _xlsx_text(str(value))
        _make_text(cell)
    return cell


def put(sheet, row: int, column: int, value):
    """`write_cell` on the sheet's cell at (row, column), both from 1."""
    return write_cell(sheet.cell(row=row, column=column), value)


def xlsx_bytes(workbook) -> bytes:
    """The workbook as an .xlsx file, after a last pass that leaves no formula and no unmarked text that
    could start one, whichever way its cells were written."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (cell.data_type == "s" and isinstance(cell.value, str)):
                    _make_text(cell)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_to_xlsx(rows: Iterable[Sequence], title: str, widths: Sequence[int] = ()) -> bytes:
    """A one-sheet workbook of `rows`, the first being the header: bold, frozen, with a filter."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    # Excel refuses sheet names longer than 31 characters or holding any of : \ / ? * [ ].
    sheet.title = "".join(" " if c in ":\\/?*[]" else c for c in title)[:31] or "Sheet1"
    bold = Font(bold=True)
    columns = 0
    row_number = 0
    for row_number, row in enumerate(rows, start=1):
        columns = max(columns, len(row))
        for column, value in enumerate(row, start=1):
            cell = put(sheet, row_number, column, value)
            if row_number == 1:
                cell.font = bold
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    if row_number:
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(max(columns, 1))}{row_number}"
    return xlsx_bytes(workbook)


def xlsx_download(content: bytes, filename: str) -> HttpResponse:
    return _attachment(HttpResponse(content, content_type=XLSX_CONTENT_TYPE), filename)
