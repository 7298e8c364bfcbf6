"""The CSV format: a secretariat's member list, one row per member (and per further contact), with English
or Japanese column names, read into records (docs/import-format.md)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable

from django.utils.translation import gettext as _

from ceptoar.registry.channel_kinds import CHANNEL_KINDS
from ceptoar.registry.importer import text as import_text
from ceptoar.registry.importer.problems import ImportProblem
from ceptoar.registry.importer.records import (
    ChannelSpec,
    ContactRecord,
    Document,
    MembershipRecord,
    OrganisationRecord,
    Source,
)

# Column → model field, per record the row feeds. Channel columns are named after the channel kinds.
CSV_ORGANISATION_COLUMNS = {
    "code": "code",
    "name": "name",
    "name_en": "name_en",
    "kind": "kind",
    "sector": "sector",
}
CSV_MEMBERSHIP_COLUMNS = {
    "ceptoar": "ceptoar",
    "via": "via",
    "unit": "unit",
    "observer": "is_observer",
    "joined_on": "joined_on",
}
CSV_CONTACT_COLUMNS = {
    "contact_name": "name",
    "contact_kind": "kind",
    "contact_title": "title",
    "contact_role": "role",
    "contact_availability": "availability",
    "verified_on": "last_verified_on",
}
# The channel columns: one per channel kind, named after it, with its Japanese names (the first is the one
# problems use when the header is Japanese), from the one table of channel kinds.
CSV_CHANNEL_KIND_COLUMNS = {kind: line.csv_columns for kind, line in CHANNEL_KINDS.items()}
CSV_CHANNEL_COLUMNS = tuple(CSV_CHANNEL_KIND_COLUMNS)
CSV_REQUIRED_COLUMNS = ("code", "ceptoar")
CSV_COLUMNS = (*CSV_ORGANISATION_COLUMNS, *CSV_MEMBERSHIP_COLUMNS, *CSV_CONTACT_COLUMNS, *CSV_CHANNEL_COLUMNS)

# The Japanese column names of docs/import-format.md, for a header written in Japanese. The first of each
# is the one problems use when the header is Japanese. Those of the channel columns are above.
CSV_JAPANESE_COLUMNS = {
    "code": ("組織コード",),
    "name": ("名称",),
    "name_en": ("英語名称",),
    "kind": ("種別",),
    "sector": ("分野",),
    "ceptoar": ("セプター",),
    "via": ("経由",),
    "unit": ("数え方",),
    "observer": ("オブザーバー",),
    "joined_on": ("加入日",),
    "contact_name": ("窓口 氏名",),
    "contact_kind": ("窓口 種別",),
    "contact_title": ("部署・役職",),
    "contact_role": ("役割",),
    "contact_availability": ("対応時間帯",),
    "verified_on": ("最終確認日",),
    **CSV_CHANNEL_KIND_COLUMNS,
}


def _column_key(name: str) -> str:
    """Header cells compare regardless of case, width and spaces: ＦＡＸ is fax, 窓口　氏名 is 窓口 氏名."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).lower()


_COLUMN_BY_KEY = {
    _column_key(name): column for column in CSV_COLUMNS for name in (column, *CSV_JAPANESE_COLUMNS[column])
}

_TRUE = {"1", "true", "yes", "y", "x", "○", "はい"}
_FALSE = {"0", "false", "no", "n", "-", "×", "いいえ"}


def _inverse(columns: dict[str, str]) -> dict[str, str]:
    return {model_field: column for column, model_field in columns.items()}


def _read_header(cells: list[str], document: Document) -> list[str]:
    """The columns of the header line by their English names ("" for an empty cell); problems if any is
    unknown, missing or repeated."""
    problems = document.problems
    written = [cell.strip() for cell in cells]
    japanese = not all(cell.isascii() for cell in written)
    known = [CSV_JAPANESE_COLUMNS[column][0] for column in CSV_COLUMNS] if japanese else CSV_COLUMNS
    if japanese:  # a column the file lacks is named in the header's language too
        document.columns_as_written.update(zip(CSV_COLUMNS, known, strict=True))
    header: list[str] = []
    for cell in written:
        column = _COLUMN_BY_KEY.get(_column_key(cell), "") if cell else ""
        if cell and not column:
            message = _("Unknown column; the columns are %(columns)s.") % {"columns": ", ".join(known)}
            problems.append(ImportProblem(message, line=1, field=cell))
        elif column in header:
            problems.append(ImportProblem(_("This column appears more than once."), line=1, field=cell))
        elif column:
            document.columns_as_written[column] = cell
        header.append(column)
    for column in CSV_REQUIRED_COLUMNS:
        if column not in header:
            name = CSV_JAPANESE_COLUMNS[column][0] if japanese else column
            problems.append(ImportProblem(_("This column is required."), line=1, field=name))
    return header


def parse_csv(data: bytes | str, encoding: str | None = None) -> Document:
    document = Document()
    problems = document.problems
    try:
        text = import_text.text_of(data, encoding)
    except import_text.UnreadableText as error:
        return document.refused(error)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = _read_header(next(reader), document)
    except StopIteration:
        problems.append(ImportProblem(_("The file is empty.")))
        return document
    except csv.Error as error:
        problems.append(ImportProblem(str(error), line=1))
        return document
    if problems:
        return document

    organisations: dict[str, tuple[OrganisationRecord, dict[str, str]]] = {}
    memberships: dict[tuple[str, str], tuple[MembershipRecord, dict[str, str]]] = {}
    channel_columns = [column for column in header if column in CSV_CHANNEL_COLUMNS]
    last_line = reader.line_num
    rows = 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            rows += 1
            import_text.refuse_too_many_records(rows, line)
            row = {}
            for i, column in enumerate(header):
                cell = cells[i].strip() if i < len(cells) else ""
                too_long = import_text.field_too_long(len(cell))
                if too_long:
                    problems.append(ImportProblem(too_long, line=line, field=column))
                elif column:
                    row[column] = cell
            _read_csv_row(document, row, line, organisations, memberships, channel_columns)
    except import_text.UnreadableText as error:
        return document.refused(error)
    except csv.Error as error:
        if str(error).startswith("field larger than field limit"):
            # csv refuses a cell over 131,072 characters itself, before the limit above can measure it.
            message = _(
                "A cell on this line is longer than %(limit)s characters, the most a field holds."
            ) % {"limit": f"{import_text.MAX_FIELD_CHARS:,}"}
        else:
            message = str(error)
        problems.append(ImportProblem(message, line=reader.line_num))
    return document


def _agree(
    row: dict[str, str],
    first: dict[str, str],
    columns: Iterable[str],
    source: Source,
    first_line: int | None,
    problems: list[ImportProblem],
) -> None:
    """Later rows of the same organisation (further contacts) may repeat its columns but not contradict them."""
    for column in columns:
        value, earlier = row.get(column, ""), first.get(column, "")
        if value and earlier and value != earlier:
            problems.append(
                ImportProblem(
                    _("%(value)s differs from %(earlier)s on line %(line)d for the same organisation.")
                    % {"value": value, "earlier": earlier, "line": first_line},
                    line=source.line,
                    code=source.code,
                    field=column,
                )
            )
        elif value and not earlier:
            first[column] = value


def _read_csv_row(
    document: Document,
    row: dict[str, str],
    line: int,
    organisations: dict,
    memberships: dict,
    channel_columns: list[str],
) -> None:
    problems = document.problems
    code = row.get("code", "")
    names = {model_field: column for column, model_field in CSV_ORGANISATION_COLUMNS.items()}
    source = Source(line=line, code=code, names=names)
    if not code:
        problems.append(source.problem("code", _("This field is required.")))
        return
    ceptoar = row.get("ceptoar", "")
    if not ceptoar:
        problems.append(Source(line=line, code=code).problem("ceptoar", _("This field is required.")))

    if code in organisations:
        record, first = organisations[code]
        _agree(row, first, CSV_ORGANISATION_COLUMNS, source, record.source.line, problems)
    else:
        values = {
            model_field: row[column]
            for column, model_field in CSV_ORGANISATION_COLUMNS.items()
            if column != "code" and column != "sector" and row.get(column)
        }
        record = OrganisationRecord(source, code, values, sector_of=ceptoar)
        if row.get("sector"):
            record.sector = row["sector"]
        organisations[code] = (record, dict(row))
        document.organisations.append(record)

    if ceptoar:
        membership_source = Source(
            line=line, code=code, names={"member": "code", **_inverse(CSV_MEMBERSHIP_COLUMNS)}
        )
        key = (ceptoar, code)
        if key in memberships:
            membership, first = memberships[key]
            _agree(
                row,
                first,
                [c for c in CSV_MEMBERSHIP_COLUMNS if c != "ceptoar"],
                membership_source,
                membership.source.line,
                problems,
            )
        else:
            values = {}
            for column in ("unit", "joined_on"):
                if row.get(column):
                    values[CSV_MEMBERSHIP_COLUMNS[column]] = row[column]
            if row.get("observer"):
                flag = row["observer"].lower()
                if flag in _TRUE or flag in _FALSE:
                    values["is_observer"] = flag in _TRUE
                else:
                    problems.append(membership_source.problem("is_observer", _("Use true or false.")))
            # The CSV states the whole membership: an empty via means the CEPTOAR reaches the member directly.
            membership = MembershipRecord(
                membership_source, ceptoar, code, values, via=row.get("via") or None
            )
            memberships[key] = (membership, dict(row))
            document.memberships.append(membership)

    contact_values = {
        model_field: row[column] for column, model_field in CSV_CONTACT_COLUMNS.items() if row.get(column)
    }
    channels = [
        ChannelSpec(column, row[column], {"kind": column, "value": column})
        for column in channel_columns
        if row.get(column)
    ]
    if contact_values or channels:
        contact_source = Source(
            line=line, code=code, names={"organisation": "code", **_inverse(CSV_CONTACT_COLUMNS)}
        )
        name = contact_values.get("name", "")
        if not name:
            problems.append(contact_source.problem("name", _("This field is required.")))
            return
        document.contacts.append(ContactRecord(contact_source, code, name, contact_values, channels))
