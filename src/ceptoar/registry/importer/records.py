"""The records read from a file, the same for JSON and CSV, so that checking and writing exist once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS

from ceptoar.registry.importer import text as import_text
from ceptoar.registry.importer.problems import ImportProblem

# The sections of a JSON file, in the order the records are checked and problems listed.
SECTIONS = ("organisations", "memberships", "contacts", "rules", "acceptances")


@dataclass
class Source:
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

    def nested(self, prefix: str, names: dict[str, str] | None = None) -> Source:
        return Source(self.path, self.line, self.code, names or {}, prefix)


# A key that the file leaves out keeps the stored value; this marks "left out" where None means "empty".
ABSENT = object()


@dataclass
class OrganisationRecord:
    source: Source
    code: str
    values: dict[str, Any]
    sector: Any = ABSENT  # sector code, None to clear
    parent: Any = ABSENT  # organisation code, None to clear
    sector_of: str = ""  # CSV: a new member takes the sector of this CEPTOAR unless a sector is given
    profile: dict[str, Any] | None = None
    before: dict[str, Any] = field(default_factory=dict)  # stored values, to tell what the file changes
    ministries: list[str] | None = None
    # (council code, shown_on_map or ABSENT, seat "member" / "observer" or ABSENT)
    councils: list[tuple[str, Any, Any]] | None = None


@dataclass
class MembershipRecord:
    source: Source
    ceptoar: str
    member: str
    values: dict[str, Any]
    via: Any = ABSENT


@dataclass
class ChannelSpec:
    kind: Any
    value: Any
    names: dict[str, str]  # how the file names this channel's kind and value


@dataclass
class ContactRecord:
    source: Source
    organisation: str
    name: str
    values: dict[str, Any]
    channels: list[ChannelSpec] | None = None  # None: keep the stored channels


@dataclass
class RulesRecord:
    source: Source
    ceptoar: str
    version: int
    values: dict[str, Any]


@dataclass
class AcceptanceRecord:
    source: Source
    organisation: str
    ceptoar: str
    version: int
    values: dict[str, Any]


@dataclass
class Document:
    organisations: list[OrganisationRecord] = field(default_factory=list)
    memberships: list[MembershipRecord] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)
    rules: list[RulesRecord] = field(default_factory=list)
    acceptances: list[AcceptanceRecord] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # CSV: each column as the header writes it (組織コード, CODE), to name it so in problems.
    columns_as_written: dict[str, str] = field(default_factory=dict)

    def refused(self, text_error: import_text.UnreadableText) -> Document:
        self.problems.extend(
            ImportProblem(p.message, path=p.path, line=p.line, field=p.field) for p in text_error.problems
        )
        return self

    def named_as_in_file(self, problem: ImportProblem) -> ImportProblem:
        if problem.line is None or problem.field not in self.columns_as_written:
            return problem
        return replace(problem, field=self.columns_as_written[problem.field])
