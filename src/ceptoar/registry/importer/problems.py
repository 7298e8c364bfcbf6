"""What the import tells the person who wrote the file: each problem, located, or the summary of what it did."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


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
