"""What an import will write, built up record by record by the checks: the rows to create or update, the
problems found, and the organisations as they will be once the file is in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from ceptoar.registry.importer.problems import ImportProblem, ImportSummary
from ceptoar.registry.importer.records import SECTIONS, Document, OrganisationRecord, Source
from ceptoar.registry.models import Contact, ContactChannel, HandlingRules, Membership, Organisation, Sector

# SQLite refuses statements with too many parameters; look stored rows up in slices of this size.
LOOKUP_CHUNK = 900


@dataclass
class Planned:
    """One row the import will create or update, with the fields that change."""

    instance: models.Model
    created: bool
    changed: set[str]
    source: Source | None = None

    @property
    def outcome(self) -> str:
        return "created" if self.created else ("updated" if self.changed else "unchanged")


def chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def snapshot(instance: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def changed_fields(instance: models.Model, before: dict[str, Any]) -> set[str]:
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


def position_in_file(problem: ImportProblem) -> tuple:
    """Problems in the order of the records they are about (stable within one record)."""
    section, _bracket, rest = problem.path.partition("[")
    index = int(rest.split("]", 1)[0]) if rest[:1].isdigit() else -1
    order = SECTIONS.index(section) if section in SECTIONS else -1
    return (problem.line or 0, order, index)


class ImportPlan:
    """The import under way: every check adds its rows and problems here, and the writer writes it."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.problems: list[ImportProblem] = list(document.problems)
        self._seen_problems: set[ImportProblem] = set(self.problems)
        self.sectors = {sector.code: sector for sector in Sector.objects.all()}
        self.orgs: dict[str, Organisation] = {}  # every organisation the file names, as it will be
        self.file_orgs: dict[str, OrganisationRecord] = {}
        self.org_plan: list[Planned] = []
        self.profile_plan: list[Planned] = []
        self.oversight_plan: list[Planned] = []
        self.seat_plan: list[Planned] = []
        self.membership_plan: list[Planned] = []
        self.contact_plan: list[Planned] = []
        self.rules_plan: list[Planned] = []
        self.acceptance_plan: list[Planned] = []
        # Channel work per contact: (contact, channels to create, channels to update, ids to delete).
        self.channel_work: list[tuple[Contact, list[ContactChannel], list[ContactChannel], list[int]]] = []
        self.memberships_by_pair: dict[tuple[str, str], Membership] = {}
        self.stored_memberships: dict[tuple[str, str], Membership] = {}
        self.rules_by_key: dict[tuple[str, int], HandlingRules] = {}

    # - problems -
    def report(self, problem: ImportProblem) -> None:
        # The models' own clean() and the cross-record checks can find the same fault twice.
        if problem not in self._seen_problems:
            self._seen_problems.add(problem)
            self.problems.append(problem)

    def repeated(
        self, seen: dict, key: Any, record: Any, field_name: str, message: Callable[[Any], str]
    ) -> bool:
        """The one duplicate-key check, for every kind of record: True, with the problem reported, when an
        earlier record of the file has the same natural key; otherwise the record is remembered as the first.
        `message` is given the earlier record."""
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = record
            return False
        self.report(record.source.problem(field_name, message(earlier)))
        return True

    def report_validation(
        self,
        source: Source,
        error: ValidationError,
        names: dict[str, str] | None = None,
        skip: Iterable[str] = (),
    ) -> None:
        for field_name, messages in error.message_dict.items():
            if field_name in skip:
                continue
            target = source if names is None else Source(source.path, source.line, source.code, names)
            for message in messages:
                self.report(target.problem(field_name, message))

    def clean(
        self,
        instance: models.Model,
        source: Source,
        exclude: Iterable[str],
        names: dict[str, str] | None = None,
        run_clean: bool = True,
    ) -> None:
        """The model's own validation. Foreign keys were resolved from codes by the checks (and may point at
        organisations not yet written), and natural-key uniqueness is checked across file and database by
        `repeated` and the lookups, so both are left out of the model's checks."""
        try:
            if run_clean:
                instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
            else:
                instance.clean_fields(exclude=list(exclude))
        except ValidationError as error:
            skip = ("value",) if "kind" in error.message_dict and isinstance(instance, ContactChannel) else ()
            self.report_validation(source, error, names, skip)

    def unknown_organisation(self, source: Source, field_name: str, code: str) -> None:
        self.report(source.problem(field_name, _("Unknown organisation code: %(code)s") % {"code": code}))

    def organisation(self, code: str, source: Source, field_name: str) -> Organisation | None:
        found = self.orgs.get(code)
        if found is None:
            self.unknown_organisation(source, field_name, code)
        return found

    def summary(self, dry_run: bool) -> ImportSummary:
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
