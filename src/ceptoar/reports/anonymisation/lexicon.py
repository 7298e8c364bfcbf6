"""The names the registry knows — organisations, their people, domains and postal addresses — in a form
that is built once and then searched in many texts.

Looking up ~5,700 organisations and ~12,000 people in a text must not cost one regular expression per
name. Names are stored in one dictionary under their folded form, with an index from the first two
characters to the lengths that names starting with them have: at each position of a text a handful of
slices is looked up, so the cost grows with the text, not with the registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ceptoar.reports.anonymisation.text import fold, is_ascii_word_char

# The legal forms a member may leave out or abbreviate when it names itself or another member.
LEGAL_FORMS = (
    "株式会社",
    "有限会社",
    "合同会社",
    "一般社団法人",
    "公益社団法人",
    "社団法人",
    "一般財団法人",
    "公益財団法人",
    "財団法人",
    "独立行政法人",
    "地方独立行政法人",
)
ABBREVIATIONS = {
    "株式会社": ("(株)", "㈱"),
    "有限会社": ("(有)", "㈲"),
    "社団法人": ("(社)",),
    "財団法人": ("(財)",),
}
# The structure of information sharing itself: the hub, the ministries, the CEPTOARs and councils. Like every
# registry organisation their names are replaced, but by what they are (〔所管省庁1〕, 〔セプター1〕) rather
# than A社, so that "reported to the ministry" still reads; their public domains and URLs are kept.
PUBLIC_KINDS = frozenset({"hub", "ministry", "ceptoar", "council"})
MIN_TERM_LENGTH = 3


@dataclass(frozen=True)
class Term:
    """What a name in the lexicon stands for: `identity` is the same for every variant of one name."""

    kind: str  # "organisation", "person" or "postal_address"
    identity: str
    organisation: str  # the code of the organisation it belongs to
    public: bool = False


@dataclass(frozen=True)
class TermMatch:
    start: int
    end: int
    term: Term


@dataclass
class OrganisationEntry:
    code: str
    name: str
    domain: str
    public: bool
    kind: str = "member"
    people: list[str] = field(default_factory=list)  # identities of its contacts


def organisation_variants(name: str) -> set[str]:
    """The ways a member writes an organisation's name: as registered, without its legal form, and
    with the legal form abbreviated, before or after the name."""
    variants = {name}
    for form in LEGAL_FORMS:
        for core in (name.removeprefix(form), name.removesuffix(form)):
            core = core.strip()
            if core == name or len(core) < MIN_TERM_LENGTH:
                continue
            variants.add(core)
            variants.update({f"{form}{core}", f"{core}{form}"})
            for short in ABBREVIATIONS.get(form, ()):
                variants.update({f"{short}{core}", f"{core}{short}"})
            break
    return variants


def person_variants(name: str) -> set[str]:
    """A registered name "佐藤 健一" is written with a space, an ideographic space, or none."""
    parts = name.split()
    if len(parts) < 2:
        return {name}
    return {" ".join(parts), "".join(parts)}


def person_identity(name: str) -> str:
    return "person:" + "".join(fold(name).split())


class Lexicon:
    """Registry names searchable in any text. Build it with `from_registry()` (or `add_*` in tests) once
    and pass it to every `anonymise` call."""

    def __init__(self) -> None:
        self._terms: dict[str, Term] = {}
        self._lengths: dict[str, set[int]] = {}
        self._sorted_lengths: dict[str, tuple[int, ...]] = {}
        self.domains: dict[str, str] = {}  # folded domain → organisation code
        self.organisations: dict[str, OrganisationEntry] = {}

    def __len__(self) -> int:
        return len(self._terms)

    # -- building ------------------------------------------------------------------------------
    def add_organisation(
        self,
        code: str,
        name: str,
        *,
        name_en: str = "",
        domain: str = "",
        postal_address: str = "",
        kind: str = "member",
    ) -> None:
        public = kind in PUBLIC_KINDS
        self.organisations[code] = OrganisationEntry(code, name, fold(domain).strip(), public, kind)
        organisation = Term("organisation", f"org:{code}", code, public)
        for variant in organisation_variants(name.strip()):
            self._add(variant, organisation)
        if name_en.strip():
            self._add(name_en.strip(), organisation)
        if domain.strip():
            self.domains[fold(domain).strip()] = code
        if postal_address.strip():
            address = Term("postal_address", f"address:{code}", code, public)
            self._add(postal_address.strip(), address)
            # Written without the postal code, as often as with it.
            if postal_address.startswith("〒") and " " in postal_address:
                self._add(postal_address.split(" ", 1)[1], address)

    def add_contact(self, organisation_code: str, name: str) -> None:
        identity = person_identity(name)
        term = Term("person", identity, organisation_code)
        for variant in person_variants(name.strip()):
            self._add(variant, term)
        entry = self.organisations.get(organisation_code)
        if entry is not None:
            entry.people.append(identity)

    def _add(self, text: str, term: Term) -> None:
        key = fold(text)
        if len(key) < MIN_TERM_LENGTH:
            return
        # A name that is also another organisation's full name keeps its first owner; persons never
        # take over an organisation's name.
        existing = self._terms.get(key)
        if existing is not None and (existing.kind == "organisation" or existing.kind == term.kind):
            return
        self._terms[key] = term
        self._lengths.setdefault(key[:2], set()).add(len(key))
        self._sorted_lengths.pop(key[:2], None)

    @classmethod
    def from_registry(cls) -> Lexicon:
        """Every organisation, its English name, domain and postal address, and every person contact."""
        from ceptoar.registry.models import Contact, ContactKind, Organisation

        lexicon = cls()
        fields = ("code", "name", "name_en", "domain", "postal_address", "kind")
        for code, name, name_en, domain, postal_address, kind in Organisation.objects.values_list(*fields):
            lexicon.add_organisation(
                code, name, name_en=name_en, domain=domain, postal_address=postal_address, kind=kind
            )
        contacts = Contact.objects.filter(kind=ContactKind.PERSON).values_list("organisation__code", "name")
        for code, name in contacts.iterator(chunk_size=5000):
            lexicon.add_contact(code, name)
        return lexicon

    # -- searching -----------------------------------------------------------------------------
    def _lengths_for(self, prefix: str) -> tuple[int, ...]:
        lengths = self._sorted_lengths.get(prefix)
        if lengths is None:
            lengths = tuple(sorted(self._lengths.get(prefix, ()), reverse=True))
            self._sorted_lengths[prefix] = lengths
        return lengths

    def find_terms(self, folded: str) -> Iterator[TermMatch]:
        """The longest registry name starting at each position of `folded` (a `fold`ed text).
        Overlapping matches are all returned; the engine decides between them."""
        size = len(folded)
        for start in range(size - MIN_TERM_LENGTH + 1):
            lengths = self._lengths_for(folded[start : start + 2])
            for length in lengths:
                end = start + length
                if end > size:
                    continue
                term = self._terms.get(folded[start:end])
                if term is None or not _on_ascii_boundaries(folded, start, end):
                    continue
                yield TermMatch(start, end, term)
                break

    def domain_owner(self, host: str) -> tuple[str, str] | None:
        """(organisation code, registered domain) when `host` is a registered domain or lies under one."""
        labels = fold(host).strip(".").split(".")
        for first in range(len(labels) - 1):
            candidate = ".".join(labels[first:])
            code = self.domains.get(candidate)
            if code is not None:
                return code, candidate
        return None


def _on_ascii_boundaries(text: str, start: int, end: int) -> bool:
    """An English name or code must not be the middle of a longer ASCII word."""
    if is_ascii_word_char(text[start]) and start > 0 and is_ascii_word_char(text[start - 1]):
        return False
    return not (is_ascii_word_char(text[end - 1]) and end < len(text) and is_ascii_word_char(text[end]))
