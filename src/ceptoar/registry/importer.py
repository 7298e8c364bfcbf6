"""Registry import: organisations, memberships, points of contact, handling rules and their acceptance
from one file, all or nothing. The file format is described in docs/import-format.md.

JSON carries the whole registry; CSV the common case of a secretariat's member list. Both are first read
into the same records, so that checking and writing exist once. Every record is checked (the models'
own `full_clean()` and the rules that span records) before anything is written; one problem anywhere
means nothing is written. Records are matched to what is stored by their natural keys (organisation
code; CEPTOAR and member; organisation and contact name; CEPTOAR and rules version), so importing the
same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ceptoar.registry import import_text, services
from ceptoar.registry.models import (
    CeptoarProfile,
    ChannelKind,
    Contact,
    ContactChannel,
    CouncilSeat,
    HandlingRules,
    Membership,
    Organisation,
    OrganisationKind,
    Oversight,
    RulesAcceptance,
    Sector,
)

FORMATS = ("json", "csv")
# SQLite refuses statements with too many parameters; look stored rows up in slices of this size.
_LOOKUP_CHUNK = 900
_BATCH = 500


# -- problems ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file, located so that the person who wrote it can find and fix it."""

    message: str
    path: str = ""  # JSON: the record's path, e.g. "organisations[12]"
    line: int | None = None  # CSV: the line number in the file
    code: str = ""  # the organisation code the record is about
    field: str = ""  # the field (JSON) or column (CSV), as named in the file

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(_("line %(number)d") % {"number": self.line})
        elif self.path:
            parts.append(self.path)
        if self.code:
            parts.append(f"(code={self.code})")
        if self.field:
            template = _('column "%(name)s"') if self.line is not None else _('field "%(name)s"')
            parts.append(template % {"name": self.field})
        return f"{' '.join(parts)}: {self.message}" if parts else self.message


class RegistryImportError(Exception):
    """The file was refused; `problems` lists every problem found. Nothing was written."""

    def __init__(self, problems: Iterable[ImportProblem]) -> None:
        self.problems = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


# -- summary -----------------------------------------------------------------------------------------

SUMMARY_LABELS = {
    "organisations": gettext_lazy("Organisations"),
    "ceptoar_profiles": gettext_lazy("CEPTOAR profiles"),
    "oversights": gettext_lazy("Ministry oversights"),
    "council_seats": gettext_lazy("Council seats"),
    "memberships": gettext_lazy("Memberships"),
    "contacts": gettext_lazy("Points of contact"),
    "rules": gettext_lazy("Handling rules versions"),
    "acceptances": gettext_lazy("Rules acceptances"),
}


@dataclass
class ImportSummary:
    """How many records of each kind the import created, updated or found unchanged."""

    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    dry_run: bool = False

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[kind][outcome] += n

    def created(self, kind: str) -> int:
        return self.counts[kind]["created"]

    def updated(self, kind: str) -> int:
        return self.counts[kind]["updated"]

    def unchanged(self, kind: str) -> int:
        return self.counts[kind]["unchanged"]

    def lines(self) -> list[str]:
        lines = []
        for kind, label in SUMMARY_LABELS.items():
            counts = self.counts.get(kind)
            if not counts:
                continue
            lines.append(
                _("%(label)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
                % {
                    "label": label,
                    "created": counts["created"],
                    "updated": counts["updated"],
                    "unchanged": counts["unchanged"],
                }
            )
        if self.dry_run:
            lines.append(_("Dry run: nothing was written."))
        return lines


# -- records read from the file ----------------------------------------------------------------------


@dataclass
class _Source:
    """Where a record came from, and what the file calls each model field (CSV columns differ)."""

    path: str = ""
    line: int | None = None
    code: str = ""
    names: dict[str, str] = field(default_factory=dict)
    prefix: str = ""

    def problem(self, field_name: str, message: str) -> ImportProblem:
        if field_name in ("", NON_FIELD_ERRORS):
            name = ""
        else:
            name = self.names.get(field_name, f"{self.prefix}{field_name}")
        return ImportProblem(message=str(message), path=self.path, line=self.line, code=self.code, field=name)

    def nested(self, prefix: str, names: dict[str, str] | None = None) -> _Source:
        return _Source(self.path, self.line, self.code, names or {}, prefix)


# A key that the file leaves out keeps the stored value; this marks "left out" where None means "empty".
_ABSENT = object()


@dataclass
class _OrganisationRecord:
    source: _Source
    code: str
    values: dict[str, Any]
    sector: Any = _ABSENT  # sector code, None to clear
    parent: Any = _ABSENT  # organisation code, None to clear
    sector_of: str = ""  # CSV: a new member takes the sector of this CEPTOAR unless a sector is given
    profile: dict[str, Any] | None = None
    before: dict[str, Any] = field(default_factory=dict)  # stored values, to tell what the file changes
    ministries: list[str] | None = None
    councils: list[tuple[str, Any]] | None = None  # (council code, shown_on_map or _ABSENT)


@dataclass
class _MembershipRecord:
    source: _Source
    ceptoar: str
    member: str
    values: dict[str, Any]
    via: Any = _ABSENT


@dataclass
class _ChannelSpec:
    kind: Any
    value: Any
    names: dict[str, str]  # how the file names this channel's kind and value


@dataclass
class _ContactRecord:
    source: _Source
    organisation: str
    name: str
    values: dict[str, Any]
    channels: list[_ChannelSpec] | None = None  # None: keep the stored channels


@dataclass
class _RulesRecord:
    source: _Source
    ceptoar: str
    version: int
    values: dict[str, Any]


@dataclass
class _AcceptanceRecord:
    source: _Source
    organisation: str
    ceptoar: str
    version: int
    values: dict[str, Any]


@dataclass
class _Document:
    organisations: list[_OrganisationRecord] = field(default_factory=list)
    memberships: list[_MembershipRecord] = field(default_factory=list)
    contacts: list[_ContactRecord] = field(default_factory=list)
    rules: list[_RulesRecord] = field(default_factory=list)
    acceptances: list[_AcceptanceRecord] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # CSV: each column as the header writes it (組織コード, CODE), to name it so in problems.
    columns_as_written: dict[str, str] = field(default_factory=dict)

    def refused(self, text_error: import_text.UnreadableText) -> _Document:
        self.problems.extend(
            ImportProblem(p.message, path=p.path, line=p.line, field=p.field) for p in text_error.problems
        )
        return self

    def named_as_in_file(self, problem: ImportProblem) -> ImportProblem:
        if problem.line is None or problem.field not in self.columns_as_written:
            return problem
        return replace(problem, field=self.columns_as_written[problem.field])


# -- JSON ----------------------------------------------------------------------------------------------

_TEXT, _OPTIONAL_TEXT, _BOOL, _INT, _LIST, _OBJECT, _DATE = (
    "text",
    "optional text",
    "bool",
    "int",
    "list",
    "object",
    "date",
)

_ORGANISATION_FIELDS = {
    "code": _TEXT,
    "name": _TEXT,
    "name_en": _TEXT,
    "kind": _TEXT,
    "sector": _OPTIONAL_TEXT,
    "parent": _OPTIONAL_TEXT,
    "postal_address": _TEXT,
    "domain": _TEXT,
    "notes": _TEXT,
    "profile": _OBJECT,
    "ministries": _LIST,
    "councils": _LIST,
}
_PROFILE_FIELDS = {
    "business_scope": _TEXT,
    "secretariat": _TEXT,
    "established_on": _DATE,
    "poc_started_on": _DATE,
    "information_shared": _TEXT,
    "communication_means": _LIST,
    "member_description": _TEXT,
    "features": _TEXT,
    "analysis_functions": _LIST,
    "map_position": _INT,
}
_MEMBERSHIP_FIELDS = {
    "ceptoar": _TEXT,
    "member": _TEXT,
    "via": _OPTIONAL_TEXT,
    "unit": _TEXT,
    "is_observer": _BOOL,
    "joined_on": _DATE,
}
_CONTACT_FIELDS = {
    "organisation": _TEXT,
    "name": _TEXT,
    "kind": _TEXT,
    "title": _TEXT,
    "role": _TEXT,
    "availability": _TEXT,
    "hours_note": _TEXT,
    "last_verified_on": _DATE,
    "position": _INT,
    "is_active": _BOOL,
    "channels": _LIST,
}
_CHANNEL_FIELDS = {"kind": _TEXT, "value": _TEXT}
_RULES_FIELDS = {"ceptoar": _TEXT, "version": _INT, "title": _TEXT, "text": _TEXT, "enacted_on": _DATE}
_ACCEPTANCE_FIELDS = {
    "organisation": _TEXT,
    "ceptoar": _TEXT,
    "version": _INT,
    "accepted_on": _DATE,
    "accepted_by_name": _TEXT,
}
SECTIONS = ("organisations", "memberships", "contacts", "rules", "acceptances")


def _type_error(expected: str) -> str:
    return {
        _TEXT: _("Expected text."),
        _OPTIONAL_TEXT: _("Expected text or null."),
        _BOOL: _("Expected true or false."),
        _INT: _("Expected a whole number."),
        _LIST: _("Expected a list."),
        _OBJECT: _("Expected an object with named fields."),
        _DATE: _("Expected a date as text, YYYY-MM-DD."),
    }[expected]


def _has_type(value: Any, expected: str) -> bool:
    if expected in (_TEXT, _DATE):
        # null is let through for the model to refuse in its own words ("This field cannot be null.").
        return value is None or isinstance(value, str)
    if expected == _OPTIONAL_TEXT:
        return value is None or isinstance(value, str)
    if expected == _BOOL:
        return isinstance(value, bool)
    if expected == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == _LIST:
        return isinstance(value, list)
    return isinstance(value, dict)


def _checked_fields(
    raw: Any, spec: dict[str, str], source: _Source, problems: list[ImportProblem], prefix: str = ""
) -> dict[str, Any] | None:
    """The record's fields with their JSON types checked; None when the record is not an object at all."""
    if not isinstance(raw, dict):
        problems.append(source.problem(prefix.rstrip("."), _("Expected an object with named fields.")))
        return None
    values = {}
    for key, value in raw.items():
        if key not in spec:
            problems.append(source.problem(f"{prefix}{key}", _("Unknown field.")))
        elif not _has_type(value, spec[key]):
            problems.append(source.problem(f"{prefix}{key}", _type_error(spec[key])))
        else:
            values[key] = value
    return values


def _required_code(values: dict[str, Any], key: str, source: _Source, problems: list[ImportProblem]) -> str:
    code = (values.pop(key, None) or "").strip()
    if not code:
        problems.append(source.problem(key, _("This field is required.")))
    return code


def _required_version(values: dict[str, Any], source: _Source, problems: list[ImportProblem]) -> int | None:
    version = values.pop("version", None)
    if version is None:
        problems.append(source.problem("version", _("This field is required.")))
    return version


def _optional_code(values: dict[str, Any], key: str) -> Any:
    if key not in values:
        return _ABSENT
    code = values.pop(key)
    return code.strip() or None if isinstance(code, str) else None


def parse_json(data: bytes | str | dict, encoding: str | None = None) -> _Document:
    document = _Document()
    problems = document.problems
    if not isinstance(data, dict):
        try:
            # JSON is UTF-8 (RFC 8259) unless the person importing names another encoding.
            data = import_text.load_json(import_text.text_of(data, encoding, shift_jis=False))
        except import_text.UnreadableText as error:
            return document.refused(error)
    if not isinstance(data, dict):
        problems.append(
            ImportProblem(
                _("The file must hold one JSON object with the sections %(sections)s.")
                % {"sections": ", ".join(SECTIONS)}
            )
        )
        return document
    try:
        import_text.refuse_too_many_records(
            sum(len(records) for records in data.values() if isinstance(records, list))
        )
    except import_text.UnreadableText as error:
        return document.refused(error)
    for key in data:
        if key not in SECTIONS:
            problems.append(
                ImportProblem(
                    _("Unknown section; the sections are %(sections)s.") % {"sections": ", ".join(SECTIONS)},
                    path=key,
                )
            )
    for section in SECTIONS:
        records = data.get(section, [])
        if not isinstance(records, list):
            problems.append(ImportProblem(_("Expected a list of records."), path=section))
            continue
        for index, raw in enumerate(records):
            source = _Source(path=f"{section}[{index}]")
            _JSON_READERS[section](document, raw, source)
    return document


def _code_of(raw: Any, key: str) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _read_json_organisation(document: _Document, raw: Any, source: _Source) -> None:
    source.code = _code_of(raw, "code")
    values = _checked_fields(raw, _ORGANISATION_FIELDS, source, document.problems)
    if values is None:
        return
    code = _required_code(values, "code", source, document.problems)
    record = _OrganisationRecord(source, code, values)
    record.sector = _optional_code(values, "sector")
    record.parent = _optional_code(values, "parent")
    profile = values.pop("profile", None)
    if profile is not None:
        record.profile = (
            _checked_fields(profile, _PROFILE_FIELDS, source.nested("profile."), document.problems, prefix="")
            or {}
        )
    ministries = values.pop("ministries", None)
    if ministries is not None:
        record.ministries = []
        for i, item in enumerate(ministries):
            if not isinstance(item, str) or not item.strip():
                document.problems.append(
                    source.problem(f"ministries[{i}]", _("Expected an organisation code."))
                )
            else:
                record.ministries.append(item.strip())
    councils = values.pop("councils", None)
    if councils is not None:
        record.councils = []
        for i, item in enumerate(councils):
            if isinstance(item, str) and item.strip():
                record.councils.append((item.strip(), _ABSENT))
            elif (
                isinstance(item, dict)
                and isinstance(item.get("code"), str)
                and item["code"].strip()
                and set(item) <= {"code", "shown_on_map"}
                and isinstance(item.get("shown_on_map", False), bool)
            ):
                record.councils.append((item["code"].strip(), item.get("shown_on_map", _ABSENT)))
            else:
                document.problems.append(
                    source.problem(
                        f"councils[{i}]",
                        _('Expected a council code, or {"code": …, "shown_on_map": true or false}.'),
                    )
                )
    if code:
        document.organisations.append(record)


def _read_json_membership(document: _Document, raw: Any, source: _Source) -> None:
    source.code = _code_of(raw, "member")
    values = _checked_fields(raw, _MEMBERSHIP_FIELDS, source, document.problems)
    if values is None:
        return
    ceptoar = _required_code(values, "ceptoar", source, document.problems)
    member = _required_code(values, "member", source, document.problems)
    via = _optional_code(values, "via")
    if ceptoar and member:
        document.memberships.append(_MembershipRecord(source, ceptoar, member, values, via))


def _read_json_contact(document: _Document, raw: Any, source: _Source) -> None:
    source.code = _code_of(raw, "organisation")
    values = _checked_fields(raw, _CONTACT_FIELDS, source, document.problems)
    if values is None:
        return
    organisation = _required_code(values, "organisation", source, document.problems)
    name = (values.get("name") or "").strip()
    if "name" in values:
        values["name"] = name
    channels = values.pop("channels", None)
    record = _ContactRecord(source, organisation, name, values)
    if channels is not None:
        record.channels = []
        for i, raw_channel in enumerate(channels):
            prefix = f"channels[{i}]."
            channel = _checked_fields(raw_channel, _CHANNEL_FIELDS, source, document.problems, prefix=prefix)
            if channel is not None:
                record.channels.append(
                    _ChannelSpec(
                        channel.get("kind", ""),
                        channel.get("value", ""),
                        {"kind": f"{prefix}kind", "value": f"{prefix}value"},
                    )
                )
    if organisation:
        document.contacts.append(record)


def _read_json_rules(document: _Document, raw: Any, source: _Source) -> None:
    source.code = _code_of(raw, "ceptoar")
    values = _checked_fields(raw, _RULES_FIELDS, source, document.problems)
    if values is None:
        return
    ceptoar = _required_code(values, "ceptoar", source, document.problems)
    version = _required_version(values, source, document.problems)
    if ceptoar and version is not None:
        document.rules.append(_RulesRecord(source, ceptoar, version, values))


def _read_json_acceptance(document: _Document, raw: Any, source: _Source) -> None:
    source.code = _code_of(raw, "organisation")
    values = _checked_fields(raw, _ACCEPTANCE_FIELDS, source, document.problems)
    if values is None:
        return
    organisation = _required_code(values, "organisation", source, document.problems)
    ceptoar = _required_code(values, "ceptoar", source, document.problems)
    version = _required_version(values, source, document.problems)
    if organisation and ceptoar and version is not None:
        document.acceptances.append(_AcceptanceRecord(source, organisation, ceptoar, version, values))


_JSON_READERS = {
    "organisations": _read_json_organisation,
    "memberships": _read_json_membership,
    "contacts": _read_json_contact,
    "rules": _read_json_rules,
    "acceptances": _read_json_acceptance,
}


# -- CSV -----------------------------------------------------------------------------------------------

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
CSV_CHANNEL_COLUMNS = tuple(ChannelKind.values)
CSV_REQUIRED_COLUMNS = ("code", "ceptoar")
CSV_COLUMNS = (*CSV_ORGANISATION_COLUMNS, *CSV_MEMBERSHIP_COLUMNS, *CSV_CONTACT_COLUMNS, *CSV_CHANNEL_COLUMNS)

# The Japanese column names of docs/import-format.md, for a header written in Japanese. The first of each
# is the one problems use when the header is Japanese.
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
    "email": ("電子メール", "メール"),
    "phone": ("電話",),
    "mobile": ("携帯電話",),
    "fax": ("FAX",),
    "satellite_phone": ("衛星電話",),
    "webhook": ("Webhook URL",),
    "chat": ("チャットURL",),
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


def _read_header(cells: list[str], document: _Document) -> list[str]:
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


def parse_csv(data: bytes | str, encoding: str | None = None) -> _Document:
    document = _Document()
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

    organisations: dict[str, tuple[_OrganisationRecord, dict[str, str]]] = {}
    memberships: dict[tuple[str, str], tuple[_MembershipRecord, dict[str, str]]] = {}
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
    source: _Source,
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
    document: _Document,
    row: dict[str, str],
    line: int,
    organisations: dict,
    memberships: dict,
    channel_columns: list[str],
) -> None:
    problems = document.problems
    code = row.get("code", "")
    names = {model_field: column for column, model_field in CSV_ORGANISATION_COLUMNS.items()}
    source = _Source(line=line, code=code, names=names)
    if not code:
        problems.append(source.problem("code", _("This field is required.")))
        return
    ceptoar = row.get("ceptoar", "")
    if not ceptoar:
        problems.append(_Source(line=line, code=code).problem("ceptoar", _("This field is required.")))

    if code in organisations:
        record, first = organisations[code]
        _agree(row, first, CSV_ORGANISATION_COLUMNS, source, record.source.line, problems)
    else:
        values = {
            model_field: row[column]
            for column, model_field in CSV_ORGANISATION_COLUMNS.items()
            if column != "code" and column != "sector" and row.get(column)
        }
        record = _OrganisationRecord(source, code, values, sector_of=ceptoar)
        if row.get("sector"):
            record.sector = row["sector"]
        organisations[code] = (record, dict(row))
        document.organisations.append(record)

    if ceptoar:
        membership_source = _Source(
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
            membership = _MembershipRecord(
                membership_source, ceptoar, code, values, via=row.get("via") or None
            )
            memberships[key] = (membership, dict(row))
            document.memberships.append(membership)

    contact_values = {
        model_field: row[column] for column, model_field in CSV_CONTACT_COLUMNS.items() if row.get(column)
    }
    channels = [
        _ChannelSpec(column, row[column], {"kind": column, "value": column})
        for column in channel_columns
        if row.get(column)
    ]
    if contact_values or channels:
        contact_source = _Source(
            line=line, code=code, names={"organisation": "code", **_inverse(CSV_CONTACT_COLUMNS)}
        )
        name = contact_values.get("name", "")
        if not name:
            problems.append(contact_source.problem("name", _("This field is required.")))
            return
        document.contacts.append(_ContactRecord(contact_source, code, name, contact_values, channels))


def parse(data: bytes | str | dict, format: str, encoding: str | None = None) -> _Document:
    if format == "json":
        return parse_json(data, encoding)
    if format == "csv":
        if isinstance(data, dict):
            raise TypeError("CSV input must be bytes or text")
        return parse_csv(data, encoding)
    raise ValueError(f"unknown import format {format!r}; expected one of {', '.join(FORMATS)}")


# -- checking and writing ------------------------------------------------------------------------------


@dataclass
class _Planned:
    """One row the import will create or update, with the fields that change."""

    instance: models.Model
    created: bool
    changed: set[str]
    source: _Source | None = None

    @property
    def outcome(self) -> str:
        return "created" if self.created else ("updated" if self.changed else "unchanged")


def _chunks(values: list, size: int = _LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _snapshot(instance: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _changed_fields(instance: models.Model, before: dict[str, Any]) -> set[str]:
    changed = set()
    for f in instance._meta.concrete_fields:
        if f.primary_key or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            continue
        if f.is_relation and f.is_cached(instance):
            related = getattr(instance, f.name)
            now = related.pk if related is not None else None
            if related is not None and related.pk is None:
                changed.add(f.attname)  # points at an organisation the import creates
                continue
        else:
            now = getattr(instance, f.attname)
        if now != before.get(f.attname):
            changed.add(f.attname)
    return changed


def _position_in_file(problem: ImportProblem) -> tuple:
    """Problems in the order of the records they are about (stable within one record)."""
    section, _bracket, rest = problem.path.partition("[")
    index = int(rest.split("]", 1)[0]) if rest[:1].isdigit() else -1
    order = SECTIONS.index(section) if section in SECTIONS else -1
    return (problem.line or 0, order, index)


class _Importer:
    def __init__(self, document: _Document) -> None:
        self.document = document
        self.problems: list[ImportProblem] = list(document.problems)
        self._seen_problems: set[ImportProblem] = set(self.problems)
        self.sectors = {sector.code: sector for sector in Sector.objects.all()}
        self.orgs: dict[str, Organisation] = {}  # every organisation the file names, as it will be
        self.file_orgs: dict[str, _OrganisationRecord] = {}
        self.org_plan: list[_Planned] = []
        self.profile_plan: list[_Planned] = []
        self.oversight_plan: list[_Planned] = []
        self.seat_plan: list[_Planned] = []
        self.membership_plan: list[_Planned] = []
        self.contact_plan: list[_Planned] = []
        self.rules_plan: list[_Planned] = []
        self.acceptance_plan: list[_Planned] = []
        # Channel work per contact: (contact, channels to create, channels to update, ids to delete).
        self.channel_work: list[tuple[Contact, list[ContactChannel], list[ContactChannel], list[int]]] = []
        self.memberships_by_pair: dict[tuple[str, str], Membership] = {}

    # - problems -
    def report(self, problem: ImportProblem) -> None:
        # The models' own clean() and the cross-record checks below can find the same fault twice.
        if problem not in self._seen_problems:
            self._seen_problems.add(problem)
            self.problems.append(problem)

    def report_validation(
        self,
        source: _Source,
        error: ValidationError,
        names: dict[str, str] | None = None,
        skip: Iterable[str] = (),
    ) -> None:
        for field_name, messages in error.message_dict.items():
            if field_name in skip:
                continue
            target = source if names is None else _Source(source.path, source.line, source.code, names)
            for message in messages:
                self.report(target.problem(field_name, message))

    def clean(
        self,
        instance: models.Model,
        source: _Source,
        exclude: Iterable[str],
        names: dict[str, str] | None = None,
        run_clean: bool = True,
    ) -> None:
        """The model's own validation. Foreign keys were resolved from codes here (and may point at
        organisations not yet written), and natural-key uniqueness is checked across file and database
        below, so both are left out of the model's checks."""
        try:
            if run_clean:
                instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
            else:
                instance.clean_fields(exclude=list(exclude))
        except ValidationError as error:
            skip = ("value",) if "kind" in error.message_dict and isinstance(instance, ContactChannel) else ()
            self.report_validation(source, error, names, skip)

    def unknown_organisation(self, source: _Source, field_name: str, code: str) -> None:
        self.report(source.problem(field_name, _("Unknown organisation code: %(code)s") % {"code": code}))

    def organisation(self, code: str, source: _Source, field_name: str) -> Organisation | None:
        found = self.orgs.get(code)
        if found is None:
            self.unknown_organisation(source, field_name, code)
        return found

    # - the run -
    def run(self, dry_run: bool) -> ImportSummary:
        self._load_organisations()
        self._check_organisations()
        self._load_memberships()
        self._check_memberships()
        self._check_members_belong()
        self._check_contacts()
        self._check_rules()
        self._check_acceptances()
        if self.problems:
            raise RegistryImportError(sorted(self.problems, key=_position_in_file))
        summary = self._summary(dry_run)
        try:
            with transaction.atomic():
                self._write()
                # A dry run goes through the writing too, for the checks that can only be made on the result.
                transaction.set_rollback(dry_run)
        except IntegrityError as error:
            raise RegistryImportError(
                [
                    ImportProblem(
                        _(
                            "The registry changed while the file was being imported; nothing was written. "
                            "Import the file again. (%(error)s)"
                        )
                        % {"error": error}
                    )
                ]
            ) from error
        return summary

    def _summary(self, dry_run: bool) -> ImportSummary:
        summary = ImportSummary(dry_run=dry_run)
        for kind, plan in (
            ("organisations", self.org_plan),
            ("ceptoar_profiles", self.profile_plan),
            ("oversights", self.oversight_plan),
            ("council_seats", self.seat_plan),
            ("memberships", self.membership_plan),
            ("contacts", self.contact_plan),
            ("rules", self.rules_plan),
            ("acceptances", self.acceptance_plan),
        ):
            for planned in plan:
                summary.count(kind, planned.outcome)
        return summary

    # - organisations -
    def _referenced_codes(self) -> set[str]:
        doc = self.document
        codes = set()
        for record in doc.organisations:
            codes.add(record.code)
            codes.update(c for c in (record.parent, record.sector_of) if isinstance(c, str) and c)
            if record.profile and isinstance(record.profile.get("secretariat"), str):
                codes.add(record.profile["secretariat"].strip())
            codes.update(record.ministries or [])
            codes.update(code for code, _flag in record.councils or [])
        for m in doc.memberships:
            codes.update(c for c in (m.ceptoar, m.member, m.via) if isinstance(c, str) and c)
        codes.update(c.organisation for c in doc.contacts)
        codes.update(r.ceptoar for r in doc.rules)
        for a in doc.acceptances:
            codes.update((a.organisation, a.ceptoar))
        return codes

    def _load_organisations(self) -> None:
        codes = sorted(self._referenced_codes())
        for chunk in _chunks(codes):
            for organisation in Organisation.objects.filter(code__in=chunk):
                self.orgs[organisation.code] = organisation

    def _check_organisations(self) -> None:
        records = self.document.organisations
        first_seen: dict[str, _OrganisationRecord] = {}
        for record in records:
            if record.code in first_seen:
                earlier = first_seen[record.code].source
                self.report(
                    record.source.problem(
                        "code",
                        _("The organisation code %(code)s appears twice in the file (first at %(where)s).")
                        % {
                            "code": record.code,
                            "where": earlier.path or _("line %(number)d") % {"number": earlier.line},
                        },
                    )
                )
                continue
            first_seen[record.code] = record
            existing = self.orgs.get(record.code)
            instance = existing or Organisation(code=record.code)
            before = _snapshot(instance) if existing else {}
            for name, value in record.values.items():
                setattr(instance, name, value)
            if existing is None and "kind" not in record.values and record.sector_of:
                instance.kind = OrganisationKind.MEMBER  # the CSV's one-row-per-member default
            if record.sector is not _ABSENT:
                if record.sector is None:
                    instance.sector = None
                elif record.sector in self.sectors:
                    instance.sector = self.sectors[record.sector]
                else:
                    self.report(
                        record.source.problem(
                            "sector", _("Unknown sector code: %(code)s") % {"code": record.sector}
                        )
                    )
            self.orgs[record.code] = instance
            self.file_orgs[record.code] = record
            self.org_plan.append(_Planned(instance, existing is None, set()))
            record.before = before

        # Parents and CSV default sectors may name organisations that appear later in the file.
        for planned in self.org_plan:
            instance = planned.instance
            record = self.file_orgs[instance.code]
            if record.parent is not _ABSENT:
                if record.parent is None:
                    instance.parent = None
                else:
                    parent = self.organisation(record.parent, record.source, "parent")
                    if parent is not None:
                        instance.parent = parent
            if planned.created and record.sector is _ABSENT and record.sector_of in self.orgs:
                instance.sector = self.orgs[record.sector_of].sector
        for planned in self.org_plan:
            instance = planned.instance
            record = self.file_orgs[instance.code]
            self.clean(instance, record.source, exclude=["sector", "parent"])
            # The model compares parent_id, which is empty while the parent is itself still to be created.
            if instance.parent is not None and instance.kind != OrganisationKind.SUBGROUP:
                self.report(
                    record.source.problem("parent", _("Only a sub-group or relay hub has a parent CEPTOAR."))
                )
            if not planned.created:
                planned.changed = _changed_fields(instance, record.before)
            self._check_profile(instance, record)
            self._check_ministries(instance, record)
            self._check_councils(instance, record)

    def _check_profile(self, ceptoar: Organisation, record: _OrganisationRecord) -> None:
        if record.profile is None:
            return
        source = record.source.nested("profile.")
        if ceptoar.kind != OrganisationKind.CEPTOAR:
            self.report(record.source.problem("profile", _("Only a CEPTOAR has a profile.")))
            return
        values = dict(record.profile)
        existing = None
        if ceptoar.pk is not None:
            existing = CeptoarProfile.objects.filter(ceptoar=ceptoar).first()
        profile = existing or CeptoarProfile(ceptoar=ceptoar)
        before = _snapshot(profile) if existing else {}
        secretariat_code = values.pop("secretariat", None)
        for name, value in values.items():
            setattr(profile, name, value)
        if secretariat_code:
            secretariat = self.organisation(secretariat_code.strip(), source, "secretariat")
            if secretariat is not None:
                profile.secretariat = secretariat
        elif existing is None:
            self.report(source.problem("secretariat", _("This field is required.")))
        self.clean(profile, source, exclude=["ceptoar", "secretariat"])
        planned = _Planned(profile, existing is None, set())
        if existing is not None:
            planned.changed = _changed_fields(profile, before)
        self.profile_plan.append(planned)

    def _check_ministries(self, ceptoar: Organisation, record: _OrganisationRecord) -> None:
        if record.ministries is None:
            return
        stored = set()
        if ceptoar.pk is not None:
            stored = set(Oversight.objects.filter(ceptoar=ceptoar).values_list("ministry__code", flat=True))
        for i, code in enumerate(record.ministries):
            ministry = self.organisation(code, record.source, f"ministries[{i}]")
            if ministry is None:
                continue
            oversight = Oversight(ministry=ministry, ceptoar=ceptoar)
            self.clean(
                oversight,
                record.source,
                exclude=["ministry", "ceptoar"],
                names={"ministry": f"ministries[{i}]", "ceptoar": "kind"},
            )
            if code in stored:
                self.oversight_plan.append(_Planned(oversight, False, set()))
            else:
                stored.add(code)
                self.oversight_plan.append(_Planned(oversight, True, set()))

    def _check_councils(self, ceptoar: Organisation, record: _OrganisationRecord) -> None:
        if record.councils is None:
            return
        stored = {}
        if ceptoar.pk is not None:
            stored = {
                seat.council.code: seat
                for seat in CouncilSeat.objects.filter(ceptoar=ceptoar).select_related("council")
            }
        for i, (code, shown_on_map) in enumerate(record.councils):
            council = self.organisation(code, record.source, f"councils[{i}]")
            if council is None:
                continue
            seat = stored.get(code)
            planned = _Planned(seat or CouncilSeat(council=council, ceptoar=ceptoar), seat is None, set())
            if shown_on_map is not _ABSENT and planned.instance.shown_on_map != shown_on_map:
                planned.instance.shown_on_map = shown_on_map
                planned.changed.add("shown_on_map")
            self.clean(
                planned.instance,
                record.source,
                exclude=["council", "ceptoar"],
                names={"council": f"councils[{i}]", "ceptoar": "kind"},
            )
            stored[code] = planned.instance
            self.seat_plan.append(planned)

    # - memberships -
    def _load_memberships(self) -> None:
        stored_ids = sorted(o.pk for o in self.orgs.values() if o.pk is not None)
        by_id = {o.pk: o for o in self.orgs.values() if o.pk is not None}
        self.stored_memberships: dict[tuple[str, str], Membership] = {}
        for chunk in _chunks(stored_ids):
            memberships = Membership.objects.filter(member_id__in=chunk).select_related("ceptoar", "via")
            for membership in memberships:
                # The in-file versions, so that kinds and parents changed by the file are what is checked.
                membership.member = by_id[membership.member_id]
                for name in ("ceptoar", "via"):
                    related_id = getattr(membership, f"{name}_id")
                    if related_id in by_id:
                        setattr(membership, name, by_id[related_id])
                self.stored_memberships[(membership.ceptoar.code, membership.member.code)] = membership

    def _check_memberships(self) -> None:
        seen: dict[tuple[str, str], _MembershipRecord] = {}
        for record in self.document.memberships:
            key = (record.ceptoar, record.member)
            if key in seen:
                self.report(
                    record.source.problem(
                        "member",
                        _("%(member)s is listed twice as a member of %(ceptoar)s.")
                        % {"member": record.member, "ceptoar": record.ceptoar},
                    )
                )
                continue
            seen[key] = record
            ceptoar = self.organisation(record.ceptoar, record.source, "ceptoar")
            member = self.organisation(record.member, record.source, "member")
            via = None
            if isinstance(record.via, str):
                via = self.organisation(record.via, record.source, "via")
            if ceptoar is None or member is None or (isinstance(record.via, str) and via is None):
                continue
            existing = self.stored_memberships.get(key)
            membership = existing or Membership(ceptoar=ceptoar, member=member)
            before = _snapshot(membership) if existing else {}
            for name, value in record.values.items():
                setattr(membership, name, value)
            if record.via is not _ABSENT:
                membership.via = via
            self.clean(membership, record.source, exclude=["ceptoar", "member", "via"])
            # The model compares ids, which are empty for organisations this file creates.
            current_via = via if record.via is not _ABSENT else membership.via
            if current_via is not None:
                if current_via.kind != OrganisationKind.SUBGROUP:
                    self.report(record.source.problem("via", _("Must be a sub-group or relay hub.")))
                elif getattr(current_via.parent, "code", None) != ceptoar.code:
                    self.report(record.source.problem("via", _("This sub-group relays for another CEPTOAR.")))
            planned = _Planned(membership, existing is None, set())
            if existing is not None:
                planned.changed = _changed_fields(membership, before)
            self.membership_plan.append(planned)
            self.memberships_by_pair[key] = membership

    def _check_members_belong(self) -> None:
        """A member operator is in the registry because a CEPTOAR counts it; one without is a mistake."""
        pairs = set(self.stored_memberships) | set(self.memberships_by_pair)
        members_with_link = {member for _ceptoar, member in pairs}
        for planned in self.org_plan:
            instance = planned.instance
            record = self.file_orgs[instance.code]
            if instance.kind == OrganisationKind.MEMBER and instance.code not in members_with_link:
                self.report(
                    record.source.problem(
                        "",
                        _(
                            "A member operator must belong to a CEPTOAR: add a membership for %(code)s to the file."
                        )
                        % {"code": instance.code},
                    )
                )
            if instance.kind not in (OrganisationKind.MEMBER, OrganisationKind.RELATED_BODY):
                ceptoars = sorted(c for c, m in self.stored_memberships if m == instance.code)
                if ceptoars:
                    self.report(
                        record.source.problem(
                            "kind",
                            _(
                                "%(code)s is a member of %(ceptoars)s, so it must stay a member operator or "
                                "a related body."
                            )
                            % {"code": instance.code, "ceptoars": ", ".join(ceptoars)},
                        )
                    )

    # - contacts -
    def _check_contacts(self) -> None:
        records = self.document.contacts
        stored_ids = sorted(
            {
                self.orgs[r.organisation].pk
                for r in records
                if r.organisation in self.orgs and self.orgs[r.organisation].pk is not None
            }
        )
        stored: dict[tuple[int, str], Contact] = {}
        last_position: Counter = Counter()
        for chunk in _chunks(stored_ids):
            contacts = (
                Contact.objects.filter(organisation_id__in=chunk)
                .prefetch_related("channels")
                .order_by("organisation_id", "position", "id")
            )
            for contact in contacts:
                # Several stored contacts of one name: the import updates the first in order.
                stored.setdefault((contact.organisation_id, contact.name), contact)
                last_position[contact.organisation_id] = max(
                    last_position[contact.organisation_id], contact.position
                )
        seen: dict[tuple[str, str], _ContactRecord] = {}
        for record in records:
            organisation = self.organisation(record.organisation, record.source, "organisation")
            if organisation is None:
                continue
            key = (record.organisation, record.name)
            if key in seen:
                self.report(
                    record.source.problem(
                        "name",
                        _("A contact named %(name)s is listed twice for %(code)s.")
                        % {"name": record.name, "code": record.organisation},
                    )
                )
                continue
            seen[key] = record
            existing = stored.get((organisation.pk, record.name)) if organisation.pk is not None else None
            contact = existing or Contact(organisation=organisation)
            before = _snapshot(contact) if existing else {}
            for name, value in record.values.items():
                setattr(contact, name, value)
            if existing is None and "position" not in record.values:
                # New contacts go after those already stored, in the order of the file.
                last_position[organisation.pk or organisation.code] += 1
                contact.position = last_position[organisation.pk or organisation.code]
            self.clean(contact, record.source, exclude=["organisation"])
            planned = _Planned(contact, existing is None, set(), record.source)
            if existing is not None:
                planned.changed = _changed_fields(contact, before)
            if record.channels is not None and self._check_channels(contact, existing, record):
                planned.changed.add("channels")
            self.contact_plan.append(planned)

    def _check_channels(self, contact: Contact, existing: Contact | None, record: _ContactRecord) -> bool:
        """Plan the contact's channels to be exactly those in the file, in order; True when anything changes."""
        wanted = []
        for position, spec in enumerate(record.channels, 1):
            channel = ContactChannel(
                contact=contact, kind=spec.kind, value=(spec.value or "").strip(), position=position
            )
            self.clean(channel, record.source, exclude=["contact"], names=spec.names)
            wanted.append(channel)
        current = list(existing.channels.all()) if existing is not None else []
        to_create, to_update = [], []
        for position, channel in enumerate(wanted):
            if position < len(current):
                kept = current[position]
                if (kept.kind, kept.value, kept.position) != (channel.kind, channel.value, channel.position):
                    kept.kind, kept.value, kept.position = channel.kind, channel.value, channel.position
                    to_update.append(kept)
            else:
                to_create.append(channel)
        to_delete = [channel.pk for channel in current[len(wanted) :]]
        if to_create or to_update or to_delete:
            self.channel_work.append((contact, to_create, to_update, to_delete))
            return True
        return False

    # - rules and acceptances -
    def _check_rules(self) -> None:
        named = {r.ceptoar for r in self.document.rules} | {a.ceptoar for a in self.document.acceptances}
        by_id = {
            self.orgs[code].pk: self.orgs[code]
            for code in named
            if code in self.orgs and self.orgs[code].pk is not None
        }
        ceptoar_ids = sorted(by_id)
        self.rules_by_key: dict[tuple[str, int], HandlingRules] = {}
        for chunk in _chunks(ceptoar_ids):
            for rules in HandlingRules.objects.filter(ceptoar_id__in=chunk):
                self.rules_by_key[(by_id[rules.ceptoar_id].code, rules.version)] = rules
        seen: set[tuple[str, int]] = set()
        for record in self.document.rules:
            key = (record.ceptoar, record.version)
            if key in seen:
                self.report(
                    record.source.problem(
                        "version",
                        _("Version %(version)d of the rules of %(code)s is listed twice.")
                        % {"version": record.version, "code": record.ceptoar},
                    )
                )
                continue
            seen.add(key)
            ceptoar = self.organisation(record.ceptoar, record.source, "ceptoar")
            if ceptoar is None:
                continue
            existing = self.rules_by_key.get(key)
            rules = existing or HandlingRules(ceptoar=ceptoar, version=record.version)
            before = _snapshot(rules) if existing else {}
            for name, value in record.values.items():
                setattr(rules, name, value)
            self.clean(rules, record.source, exclude=["ceptoar"])
            planned = _Planned(rules, existing is None, set())
            if existing is not None:
                planned.changed = _changed_fields(rules, before)
            self.rules_plan.append(planned)
            self.rules_by_key[key] = rules

    def _check_acceptances(self) -> None:
        records = self.document.acceptances
        stored_ids = sorted(
            {
                self.orgs[r.organisation].pk
                for r in records
                if r.organisation in self.orgs and self.orgs[r.organisation].pk is not None
            }
        )
        stored: dict[tuple[int, int], RulesAcceptance] = {}
        for chunk in _chunks(stored_ids):
            for acceptance in RulesAcceptance.objects.filter(organisation_id__in=chunk):
                stored[(acceptance.organisation_id, acceptance.rules_id)] = acceptance
        pairs = set(self.stored_memberships) | set(self.memberships_by_pair)
        seen: set[tuple[str, str, int]] = set()
        for record in records:
            key = (record.organisation, record.ceptoar, record.version)
            if key in seen:
                self.report(
                    record.source.problem(
                        "version",
                        _("%(code)s's acceptance of version %(version)d is listed twice.")
                        % {"code": record.organisation, "version": record.version},
                    )
                )
                continue
            seen.add(key)
            organisation = self.organisation(record.organisation, record.source, "organisation")
            ceptoar = self.organisation(record.ceptoar, record.source, "ceptoar")
            if organisation is None or ceptoar is None:
                continue
            rules = self.rules_by_key.get((record.ceptoar, record.version))
            if rules is None:
                self.report(
                    record.source.problem(
                        "version",
                        _(
                            "%(code)s has no version %(version)d of its handling rules in the file or the "
                            "registry."
                        )
                        % {"code": record.ceptoar, "version": record.version},
                    )
                )
                continue
            if record.organisation != record.ceptoar and (record.ceptoar, record.organisation) not in pairs:
                self.report(
                    record.source.problem(
                        "ceptoar", _("These rules belong to a CEPTOAR the organisation is not a member of.")
                    )
                )
            existing = None
            if organisation.pk is not None and rules.pk is not None:
                existing = stored.get((organisation.pk, rules.pk))
            acceptance = existing or RulesAcceptance(organisation=organisation, rules=rules)
            before = _snapshot(acceptance) if existing else {}
            for name, value in record.values.items():
                setattr(acceptance, name, value)
            # The model's clean() asks the database about membership; the file's memberships are checked above.
            self.clean(
                acceptance, record.source, exclude=["organisation", "rules", "accepted_by"], run_clean=False
            )
            planned = _Planned(acceptance, existing is None, set())
            if existing is not None:
                planned.changed = _changed_fields(acceptance, before)
            self.acceptance_plan.append(planned)

    # - writing -
    @staticmethod
    def _save(model: type[models.Model], plan: list[_Planned], extra_fields: Iterable[str] = ()) -> None:
        new = [p.instance for p in plan if p.created]
        if new:
            model.objects.bulk_create(new, batch_size=_BATCH)
        changed = [p for p in plan if not p.created and p.changed]
        fields = sorted({name for p in changed for name in p.changed} - {"channels"})
        if fields:
            fields = [model._meta.get_field(name).name for name in fields] + list(extra_fields)
            model.objects.bulk_update([p.instance for p in changed], fields, batch_size=_BATCH)

    def _write(self) -> None:
        now = timezone.now()
        for planned in self.org_plan:
            if not planned.created and planned.changed:
                planned.instance.updated_at = now
        with transaction.atomic():
            poc_check = self._organisations_keeping_poc()
            # Sub-groups may name a CEPTOAR created by the same file: parents first.
            new_parents = {
                p.instance.parent.code
                for p in self.org_plan
                if p.created and p.instance.parent is not None and p.instance.parent.pk is None
            }
            first = [p for p in self.org_plan if not p.created or p.instance.code in new_parents]
            rest = [p for p in self.org_plan if p.created and p.instance.code not in new_parents]
            self._save(Organisation, [p for p in first if p.created])
            self._save(Organisation, rest)
            self._save(Organisation, [p for p in first if not p.created], extra_fields=["updated_at"])
            self._save(CeptoarProfile, self.profile_plan)
            self._save(Oversight, self.oversight_plan)
            self._save(CouncilSeat, self.seat_plan)
            self._save(Membership, self.membership_plan)
            self._save(Contact, self.contact_plan)
            self._write_channels()
            self._save(HandlingRules, self.rules_plan)
            self._save(RulesAcceptance, self.acceptance_plan)
            self._check_poc_kept(poc_check)

    def _organisations_keeping_poc(self) -> dict[int, _Source]:
        """Stored organisations whose contacts the file changes and that have an emergency POC now."""
        touched: dict[int, _Source] = {}
        for planned in self.contact_plan:
            organisation_id = planned.instance.organisation.pk
            if organisation_id is not None and planned.changed and planned.source is not None:
                touched.setdefault(organisation_id, planned.source)
        if not touched:
            return {}
        lacking = set(
            services.organisations_lacking_poc(Organisation.objects.filter(pk__in=list(touched))).values_list(
                "pk", flat=True
            )
        )
        return {pk: source for pk, source in touched.items() if pk not in lacking}

    def _check_poc_kept(self, had_poc: dict[int, _Source]) -> None:
        """The rule of the contact pages (services.save_contact): no change may take away the last emergency
        POC of a CEPTOAR or member. It is a property of the result, so it is checked after writing; raising
        here undoes the writes."""
        if not had_poc:
            return
        lost = services.organisations_lacking_poc(Organisation.objects.filter(pk__in=list(had_poc)))
        problems = [
            had_poc[organisation.pk].problem(
                "",
                _(
                    "%(organisation)s must keep at least one active primary POC or 24/7 desk with a channel. "
                    "Add or promote another one first."
                )
                % {"organisation": organisation.name},
            )
            for organisation in lost.order_by("code")
        ]
        if problems:
            raise RegistryImportError(problems)

    def _write_channels(self) -> None:
        to_create, to_update, to_delete = [], [], []
        for contact, create, update, delete in self.channel_work:
            for channel in create:
                channel.contact = contact  # now saved, so the id is set
            to_create += create
            to_update += update
            to_delete += delete
        if to_delete:
            for chunk in _chunks(to_delete):
                ContactChannel.objects.filter(pk__in=chunk).delete()
        if to_update:
            ContactChannel.objects.bulk_update(to_update, ["kind", "value", "position"], batch_size=_BATCH)
        if to_create:
            ContactChannel.objects.bulk_create(to_create, batch_size=_BATCH)


# -- entry points ----------------------------------------------------------------------------------------


def import_registry(
    data: bytes | str | dict, *, format: str = "json", dry_run: bool = False, encoding: str | None = None
) -> ImportSummary:
    """Check every record of `data` and, only if all pass, write them all in one transaction.

    `data` is the file's content (bytes or text) or, for JSON, the already parsed document. `encoding`
    (utf-8, cp932, euc-jp) names the encoding of bytes; without it they must be UTF-8 or, for CSV, read
    plausibly as Shift_JIS (import_text.py). Raises RegistryImportError listing every problem; nothing is
    written then. With `dry_run`, checks only.
    """
    document = parse(data, format, encoding)
    try:
        return _Importer(document).run(dry_run)
    except RegistryImportError as error:
        raise RegistryImportError([document.named_as_in_file(p) for p in error.problems]) from None


def format_for(path: str | Path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise ValueError(
        _("Cannot tell the format of %(file)s from its name; give --format json or csv.") % {"file": path}
    )


def import_registry_file(
    path: str | Path, *, format: str | None = None, dry_run: bool = False, encoding: str | None = None
) -> ImportSummary:
    """import_registry() on a file; the format comes from the file name unless given."""
    file_format = format or format_for(path)
    try:
        data = import_text.read_file(Path(path))
    except import_text.UnreadableText as error:
        raise RegistryImportError(_Document().refused(error).problems) from None
    return import_registry(data, format=file_format, dry_run=dry_run, encoding=encoding)


__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "ImportProblem",
    "ImportSummary",
    "RegistryImportError",
    "import_registry",
    "import_registry_file",
]
