"""Formula payloads, and reading an export back to show that none of them became a formula (issue 13).

The checks here are written independently of `ceptoar.utilities.exports`: a test that asked the writer's own
`could_be_formula` whether the writer did its job would pass with the writer wrong.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

PAYLOADS = (
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1+1",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
)
FORMULA_STARTS = "=+-@"


def payload(index: int) -> str:
    return PAYLOADS[index % len(PAYLOADS)]


def live(text: str) -> bool:
    """Whether a cell's text would start a formula or begin with one of OWASP's characters."""
    visible = text.lstrip(" \t\r\n\u3000")
    return bool(text) and (text[0] in FORMULA_STARTS + "\t\r" or visible[:1] in tuple(FORMULA_STARTS))


def read_csv(content: bytes | str) -> list[list[str]]:
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    assert text.startswith("\ufeff"), "an export for Excel starts with the byte-order mark"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def assert_csv_inert(rows: list[list[str]], expected: list[str]) -> None:
    """No cell is live, and each of `expected` is a cell with only the quote added."""
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if live(cell)]
    missing = [text for text in expected if "'" + text not in cells]
    assert not missing, f"not found with its quote: {missing!r}"


def xlsx_text(text: str) -> str:
    """What an XLSX cell holds for `text`: a line break is a line feed there (see utilities.exports)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def assert_xlsx_inert(content: bytes, expected: list[str]) -> list:
    """No formula anywhere in the file, every text a string cell, every live one marked as text with the
    quote prefix, and each of `expected` in a cell unchanged. Returns the cells, for further checks."""
    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode("utf-8")
                assert not re.search(r"<(\w+:)?f[ >/]", xml), f"a formula element in {name}"
                assert 't="str"' not in xml and "t='str'" not in xml  # a formula's cached text
    book = load_workbook(io.BytesIO(content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    texts = [cell for cell in cells if isinstance(cell.value, str)]
    assert all(cell.data_type == "s" for cell in texts)
    unmarked = [cell.coordinate for cell in texts if live(cell.value) and not cell.quotePrefix]
    assert not unmarked, f"live text without the quote prefix in {unmarked}"
    values = {cell.value for cell in texts}
    missing = [text for text in expected if xlsx_text(text) not in values]
    assert not missing, f"not found intact: {missing!r}"
    return cells
