"""Labelled test texts and how redaction is scored on them (docs/anonymisation.md, "Measured").

A labelled file starts with `reporter: ORG_CODE` (or `reporter: -`), a blank line, then the report. Every
sensitive span is labelled inline as ⟦kind:text⟧. Names, numbers and addresses from the registry are
written as placeholders that are filled from the registry, so the texts stay right if the (demo)
population changes:

    {banks-0007}            the organisation's name        {banks-0007#1}          its contact at position 1
    {banks-0007.short}      … without 株式会社 etc.        {banks-0007#1.nospace}  … without the space
    {banks-0007.kabu}       … as （株）…                   {banks-0007#1.surname}  … family name only
    {banks-0007.domain}     its domain                     {banks-0007#1.email}    … and phone, fax,
    {banks-0007.address}    its postal address                                      mobile, satellite_phone

Label kinds and the engine kind each must get: org → organisation (a registry organisation),
contact → person (a registry contact), person → person (anyone else), email, phone and fax → phone,
address → postal_address, host → hostname, ip → ip_address, url, domain. Text outside labels holds what
must stay: public advisory URLs, CVE and JVN identifiers, attackers' public IP addresses and domains,
documentation domains, product names, organisations outside the registry.

`ceptoar anonymize --score DIR …` prints the figures for the labelled files under the directories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ENGINE_KIND = {
    "org": "organisation",
    "contact": "person",
    "person": "person",
    "email": "email",
    "phone": "phone",
    "fax": "phone",
    "address": "postal_address",
    "host": "hostname",
    "ip": "ip_address",
    "url": "url",
    "domain": "domain",
}
# Personal names, registry contacts or not: the figure issue 16 asks for separately.
NAME_LABELS = ("contact", "person")
_LABEL = re.compile(r"⟦(?P<kind>[a-z]+):(?P<content>[^⟧]*)⟧")
_REF = re.compile(r"\{(?P<code>[a-z0-9-]+)(?:#(?P<position>\d+))?(?:\.(?P<field>[a-z_]+))?\}")
_LEGAL_FORMS = ("株式会社", "財団法人", "社団法人")


class LabelError(ValueError):
    """A labelled file that cannot be read; the message names the file and the place."""


@dataclass(frozen=True)
class GoldSpan:
    start: int
    end: int
    kind: str
    text: str


@dataclass(frozen=True)
class LabelledReport:
    name: str
    reporter: str | None
    text: str
    gold: tuple[GoldSpan, ...]


def labelled_files(*paths: Path) -> list[Path]:
    """The `.txt` files named, or found under the directories named (sub-directories included)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.rglob("*.txt"))
        elif path.is_file():
            files.append(path)
        else:
            raise LabelError(f"{path}: no such file or directory")
    return files


def load_report(path: Path) -> LabelledReport:
    header, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    if not header.startswith("reporter:"):
        raise LabelError(f"{path.name}: the first line must be 'reporter: CODE' or 'reporter: -'")
    reporter = header.removeprefix("reporter:").strip()
    parts: list[str] = []
    gold: list[GoldSpan] = []
    length = 0
    position = 0
    for match in _LABEL.finditer(body):
        before = body[position : match.start()]
        if _REF.search(before):
            raise LabelError(f"{path.name}: a placeholder outside a label near {before[-40:]!r}")
        if match.group("kind") not in ENGINE_KIND:
            raise LabelError(f"{path.name}: unknown label kind {match.group('kind')!r}")
        content = _REF.sub(lambda ref: _resolve(path.name, ref), match.group("content"))
        parts += [before, content]
        start = length + len(before)
        gold.append(GoldSpan(start, start + len(content), match.group("kind"), content))
        length = start + len(content)
        position = match.end()
    rest = body[position:]
    if _REF.search(rest) or "⟦" in rest:
        raise LabelError(f"{path.name}: a placeholder or label left open after the last label")
    parts.append(rest)
    return LabelledReport(path.stem, None if reporter == "-" else reporter, "".join(parts), tuple(gold))


def _resolve(file_name: str, ref: re.Match) -> str:
    from ceptoar.registry.models import Organisation

    code, position, field_name = ref.group("code"), ref.group("position"), ref.group("field") or "name"
    try:
        organisation = Organisation.objects.get(code=code)
    except Organisation.DoesNotExist:
        raise LabelError(f"{file_name}: no organisation {code} in the registry") from None
    if position is None:
        short = organisation.name
        for form in _LEGAL_FORMS:
            short = short.removeprefix(form)
        values = {
            "name": organisation.name,
            "short": short,
            "kabu": f"（株）{short}",
            "domain": organisation.domain,
            "address": organisation.postal_address,
        }
        if field_name not in values:
            raise LabelError(f"{file_name}: unknown field {field_name!r} of {code}")
        return values[field_name]
    contact = organisation.contacts.filter(position=int(position)).first()
    if contact is None:
        raise LabelError(f"{file_name}: {code} has no contact at position {position}")
    if field_name in ("name", "nospace", "surname", "given"):
        surname, given = contact.name.split()
        return {"name": contact.name, "nospace": surname + given, "surname": surname, "given": given}[
            field_name
        ]
    channel = contact.channels.filter(kind=field_name).first()
    if channel is None:
        raise LabelError(f"{file_name}: contact {code}#{position} has no {field_name}")
    return channel.value


# -- scoring --------------------------------------------------------------------------------------------
@dataclass
class Score:
    found: dict[str, int]
    total: dict[str, int]
    correct_redactions: int = 0
    redactions: int = 0
    # Per engine kind: redactions made, and those that overlap a labelled span.
    made: dict[str, int] = field(default_factory=dict)
    made_correct: dict[str, int] = field(default_factory=dict)

    def recall(self, kind: str) -> float:
        return self.found.get(kind, 0) / self.total[kind] if self.total.get(kind) else 1.0

    def recall_of(self, kinds: Iterable[str]) -> float:
        kinds = tuple(kinds)
        total = sum(self.total.get(kind, 0) for kind in kinds)
        return sum(self.found.get(kind, 0) for kind in kinds) / total if total else 1.0

    @property
    def overall_recall(self) -> float:
        return self.recall_of(ENGINE_KIND)

    @property
    def name_recall(self) -> float:
        return self.recall_of(NAME_LABELS)

    @property
    def precision(self) -> float:
        return self.correct_redactions / self.redactions if self.redactions else 1.0

    def table(self) -> str:
        lines = [f"{'label':<10}{'spans':>7}{'found':>7}{'recall':>9}"]
        for kind in ENGINE_KIND:
            if self.total.get(kind):
                lines.append(f"{kind:<10}{self.total[kind]:>7}{self.found[kind]:>7}{self.recall(kind):>9.3f}")
        names = sum(self.total.get(kind, 0) for kind in NAME_LABELS)
        spans = sum(self.total.values())
        lines.append(f"{'names':<10}{names:>7}{'':>7}{self.name_recall:>9.3f}  (contact + person)")
        lines.append(f"{'overall':<10}{spans:>7}{sum(self.found.values()):>7}{self.overall_recall:>9.3f}")
        lines.append(f"{'redacted as':<16}{'made':>6}{'right':>7}{'precision':>11}")
        for kind in sorted(self.made):
            right = self.made_correct.get(kind, 0)
            lines.append(f"{kind:<16}{self.made[kind]:>6}{right:>7}{right / self.made[kind]:>11.3f}")
        lines.append(
            f"precision {self.correct_redactions}/{self.redactions} = {self.precision:.3f} (redactions that "
            "overlap a labelled span)"
        )
        return "\n".join(lines)


def is_found(gold: GoldSpan, redactions) -> bool:
    """Found when every non-space character of the span is redacted and a redaction over it has the
    kind the label asks for."""
    covered = set()
    right_kind = False
    for redaction in redactions:
        if redaction.start < gold.end and gold.start < redaction.end:
            covered.update(range(max(gold.start, redaction.start), min(gold.end, redaction.end)))
            right_kind = right_kind or redaction.kind == ENGINE_KIND[gold.kind]
    needed = {gold.start + i for i, char in enumerate(gold.text) if not char.isspace()}
    return right_kind and needed <= covered


def score(results: list[tuple[LabelledReport, tuple]]) -> tuple[Score, list[str]]:
    """The score over all reports, and a line for every miss and every needless redaction."""
    result = Score(found=dict.fromkeys(ENGINE_KIND, 0), total=dict.fromkeys(ENGINE_KIND, 0))
    problems = []
    for report, redactions in results:
        for gold in report.gold:
            result.total[gold.kind] += 1
            if is_found(gold, redactions):
                result.found[gold.kind] += 1
            else:
                problems.append(f"{report.name}: missed {gold.kind} {gold.text!r}")
        for redaction in redactions:
            result.redactions += 1
            result.made[redaction.kind] = result.made.get(redaction.kind, 0) + 1
            if any(g.start < redaction.end and redaction.start < g.end for g in report.gold):
                result.correct_redactions += 1
                result.made_correct[redaction.kind] = result.made_correct.get(redaction.kind, 0) + 1
            else:
                problems.append(f"{report.name}: needless {redaction.kind} {redaction.original!r}")
    return result, problems


def measure(files: Iterable[Path], lexicon) -> tuple[Score, list[str]]:
    """Anonymise every labelled file against `lexicon` and score the result."""
    from ceptoar.reports.anonymisation.engine import anonymise

    results = []
    for path in files:
        report = load_report(path)
        redactions = anonymise(report.text, lexicon=lexicon, reporter=report.reporter).redactions
        results.append((report, redactions))
    return score(results)
