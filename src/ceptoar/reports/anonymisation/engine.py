"""`anonymise(text, lexicon=…, reporter=…)`: find every sensitive span, decide between overlapping ones,
and replace each with a name that is the same for the same thing throughout the text.

Replacements (consistent within one call, numbered in order of first appearance):
- organisations: A社, B社 … Z社, AA社 …; with a reporter, A社 is always the reporter;
- people: 甲, 乙, 丙 … 癸, then 甲2 …, followed by 氏 unless the text already has an honorific or
  title after the name (山内さん → 甲さん, 西村課長 → 乙課長, 大西 俊介 → 丙氏);
- everything else: a numbered label in tortoise-shell brackets, 〔メールアドレス1〕, 〔電話番号1〕,
  〔住所1〕, 〔ホスト名1〕, 〔IPアドレス1〕, 〔URL1〕, 〔ドメイン1〕.

Spans in the result refer to the original text.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

from ceptoar.reports.anonymisation.detectors import KEEP, Candidate, find_patterns
from ceptoar.reports.anonymisation.latin import TITLES_BEFORE
from ceptoar.reports.anonymisation.lexicon import Lexicon
from ceptoar.reports.anonymisation.persons import find_persons, starts_with_honorific_or_title
from ceptoar.reports.anonymisation.text import fold, fold_width

KINDS = (
    "organisation",
    "person",
    "email",
    "phone",
    "postal_address",
    "hostname",
    "ip_address",
    "url",
    "domain",
)
LABELS = {
    "email": "メールアドレス",
    "phone": "電話番号",
    "postal_address": "住所",
    "hostname": "ホスト名",
    "ip_address": "IPアドレス",
    "url": "URL",
    "domain": "ドメイン",
}
# What a public body of the sharing structure is called instead of its name.
PUBLIC_BODY_LABELS = {"hub": "政府機関", "ministry": "所管省庁", "ceptoar": "セプター", "council": "協議会"}
STEMS = "甲乙丙丁戊己庚辛壬癸"
REGISTRY_PRIORITY = 6


@dataclass(frozen=True)
class Redaction:
    start: int  # offsets in the original text
    end: int
    kind: str
    original: str
    replacement: str

    def as_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "original": self.original,
            "replacement": self.replacement,
        }


@dataclass(frozen=True)
class Result:
    text: str
    redactions: tuple[Redaction, ...] = field(default_factory=tuple)


def anonymise(text: str, *, lexicon: Lexicon, reporter: str | None = None) -> Result:
    """Replace what identifies a member, a person or an internal system in `text`. `reporter` is the
    code of the reporting organisation: its name becomes A社 and its domains count as its own."""
    width_folded = fold_width(text)
    candidates = _registry_candidates(fold(text), lexicon, reporter)
    candidates += find_patterns(width_folded, lexicon, reporter)
    candidates += find_persons(width_folded)
    chosen = [candidate for candidate in resolve_overlaps(candidates) if candidate.kind != KEEP]
    redactions = _Namer(text, lexicon, reporter).name(chosen)
    return Result(_apply(text, redactions), tuple(redactions))


def _registry_candidates(folded: str, lexicon: Lexicon, reporter: str | None) -> list[Candidate]:
    candidates = []
    for match in lexicon.find_terms(folded):
        term = match.term
        # Public bodies' addresses stay (they are published); their names are replaced like any organisation's.
        kind = (
            KEEP
            if term.public and term.kind != "organisation" and term.organisation != reporter
            else term.kind
        )
        candidates.append(Candidate(match.start, match.end, kind, term.identity, REGISTRY_PRIORITY))
    return candidates


def resolve_overlaps(candidates: list[Candidate]) -> list[Candidate]:
    """The longest candidate wins a contested stretch of text, then the more specific kind (higher
    priority), then the earlier one: the same input always gives the same choice."""
    ranked = sorted(candidates, key=lambda c: (-(c.end - c.start), -c.priority, c.start, c.kind))
    taken: list[Candidate] = []
    occupied: list[tuple[int, int]] = []
    for candidate in ranked:
        if candidate.end <= candidate.start:
            continue
        if any(candidate.start < end and start < candidate.end for start, end in occupied):
            continue
        taken.append(candidate)
        occupied.append((candidate.start, candidate.end))
    return sorted(taken, key=lambda c: c.start)


class _Namer:
    """Hands out A社, 甲, 〔URL1〕 … so that one identity gets one name in one text."""

    def __init__(self, text: str, lexicon: Lexicon, reporter: str | None) -> None:
        self.text = text
        self.lexicon = lexicon
        self.names: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.reporter = reporter
        if reporter is not None:
            self._next("organisation", f"org:{reporter}")

    def name(self, chosen: list[Candidate]) -> list[Redaction]:
        identities = self._merge_partial_names(chosen)
        redactions = []
        for candidate in chosen:
            identity = identities.get(candidate.identity, candidate.identity)
            base = self.names.get(identity) or self._next(candidate.kind, identity)
            replacement = base
            if (
                candidate.kind == "person"
                and not starts_with_honorific_or_title(self.text[candidate.end :])
                and not TITLES_BEFORE.search(self.text[max(0, candidate.start - 6) : candidate.start])
            ):
                replacement = f"{base}氏"
            redactions.append(
                Redaction(
                    candidate.start,
                    candidate.end,
                    candidate.kind,
                    self.text[candidate.start : candidate.end],
                    replacement,
                )
            )
        return redactions

    @staticmethod
    def _merge_partial_names(chosen: list[Candidate]) -> dict[str, str]:
        """A family name alone ("西村課長") is the person whose full name ("西村 恵子") is in the same
        text, when exactly one full name starts with it."""
        full_names = {c.identity for c in chosen if c.kind == "person"}
        merged = {}
        for identity in full_names:
            longer = [other for other in full_names if other != identity and other.startswith(identity)]
            if len(longer) == 1:
                merged[identity] = longer[0]
        return merged

    def _next(self, kind: str, identity: str) -> str:
        entry = (
            self.lexicon.organisations.get(identity.removeprefix("org:")) if kind == "organisation" else None
        )
        if entry is not None and entry.public and entry.code != self.reporter:
            kind = f"public:{entry.kind}"
        number = self.counts.get(kind, 0)
        self.counts[kind] = number + 1
        if kind.startswith("public:"):
            name = f"〔{PUBLIC_BODY_LABELS.get(entry.kind, '機関')}{number + 1}〕"
        elif kind == "organisation":
            name = f"{_letters(number)}社"
        elif kind == "person":
            name = STEMS[number % len(STEMS)] + (
                str(number // len(STEMS) + 1) if number >= len(STEMS) else ""
            )
        else:
            name = f"〔{LABELS[kind]}{number + 1}〕"
        self.names[identity] = name
        return name


def _letters(number: int) -> str:
    """0 → A, 25 → Z, 26 → AA …"""
    letters = ""
    number += 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = string.ascii_uppercase[remainder] + letters
    return letters


def _apply(text: str, redactions: list[Redaction]) -> str:
    parts = []
    position = 0
    for redaction in redactions:
        parts.append(text[position : redaction.start])
        parts.append(redaction.replacement)
        position = redaction.end
    parts.append(text[position:])
    return "".join(parts)
