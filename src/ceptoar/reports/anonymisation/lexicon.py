"""The names the registry knows — organisations, their people, domains and postal addresses — in a form
that is built once and then searched in many texts.

Looking up ~5,700 organisations and ~12,000 people in a text must not cost one regular expression per
name. Names are stored in one dictionary under their folded form, with an index from the first two
characters to the lengths that names starting with them have: at each position of a text a handful of
slices is looked up, so the cost grows with the text, not with the registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ceptoar.reports.anonymisation.text import fold, is_ascii_word_char

# The legal forms a member may leave out, abbreviate or write in today's form when it names itself or
# another member, by family: a 社団法人 of the registry became a 一般社団法人 or 公益社団法人 in 2008, and
# members write either, or (一社), or nothing.
LEGAL_FORM_FAMILIES = (
    ("株式会社", "(株)", "㈱"),
    ("有限会社", "(有)", "㈲"),
    ("合同会社", "(同)"),
    ("一般社団法人", "公益社団法人", "社団法人", "(一社)", "(公社)", "(社)"),
    ("一般財団法人", "公益財団法人", "財団法人", "(一財)", "(公財)", "(財)"),
    ("地方独立行政法人", "独立行政法人", "(地独)", "(独)"),
)
LEGAL_FORMS = tuple(form for family in LEGAL_FORM_FAMILIES for form in family if not form.startswith("("))
# 一般社団法人 before 社団法人: the longest form a name starts or ends with is its form.
_FORMS_LONGEST_FIRST = sorted(
    ((form, family) for family in LEGAL_FORM_FAMILIES for form in family), key=lambda pair: -len(pair[0])
)
# The end of an organisation's own name, after which a department may follow without a space
# (全国銀行協会事務システム部, 国土交通省鉄道局危機管理室) …
ORGANISATION_ENDINGS = (
    "協会",
    "連合会",
    "連盟",
    "機構",
    "センター",
    "省",
    "庁",
    "局",
    "組合",
    "公社",
    "事業団",
    "企業団",
)
# … and the end of a department's name.
DEPARTMENT_ENDINGS = ("部", "課", "室", "グループ", "係", "班", "チーム", "局")
MIN_HEAD_LENGTH = 4
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
    """The ways a member writes an organisation's name: as registered, without its legal form, and with
    any legal form of its family (株式会社, （株）, ㈱ …; 社団法人, 一般社団法人, （一社） …) before or after."""
    name = name.strip()
    for form, family in _FORMS_LONGEST_FIRST:
        if name.startswith(form):
            core = name.removeprefix(form).strip()
        elif name.endswith(form):
            core = name.removesuffix(form).strip()
        else:
            continue
        if len(core) < MIN_TERM_LENGTH:
            continue
        return {name, core} | {f"{other}{core}" for other in family} | {f"{core}{other}" for other in family}
    return {name}


def parent_names(name: str) -> set[str]:
    """The names of the body a registry entry is a department of, as members write them when they mean
    the body: "社団法人日本ガス協会 保安技術グループ" → 社団法人日本ガス協会; "全国銀行協会事務システム部" →
    全国銀行協会; "国土交通省鉄道局危機管理室" → 国土交通省鉄道局, 国土交通省; the short name recorded in
    brackets, "… (NISC)" → NISC and the name without it."""
    name = name.strip()
    heads: set[str] = set()
    bracketed = re.fullmatch(r"(?P<long>.+?)\s*[(（](?P<short>[^()（）]+)[)）]", name)
    if bracketed:
        heads.update({bracketed.group("long").strip(), bracketed.group("short").strip()})
        name = bracketed.group("long").strip()
    segments = name.split()
    for count in range(1, len(segments)):
        heads.add(" ".join(segments[:count]))
    first = segments[0] if segments else name
    for match in re.finditer("|".join(ORGANISATION_ENDINGS), first):
        head, rest = first[: match.end()], first[match.end() :]
        if rest and rest.endswith(DEPARTMENT_ENDINGS):
            heads.add(head)
    return {head for head in heads if len(head) >= MIN_HEAD_LENGTH}


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
        self._derived: set[str] = set()  # keys that are a department's parent body, not a registered name
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
        # A department's parent body is found as the department, but never takes a name over from an
        # organisation registered under it (国土交通省 stays the ministry).
        for head in parent_names(name):
            for variant in organisation_variants(head):
                self._add(variant, organisation, derived=True)
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

    def _add(self, text: str, term: Term, *, derived: bool = False) -> None:
        key = fold(text)
        if len(key) < MIN_TERM_LENGTH:
            return
        # A name that is also another organisation's full name keeps its first owner; persons never
        # take over an organisation's name; a derived name (a department's parent) gives way to any
        # name registered as such, and keeps its first owner among derived ones.
        existing = self._terms.get(key)
        if existing is not None:
            if derived:
                return
            replaceable = key in self._derived and term.kind == "organisation"
            if not replaceable and (existing.kind == "organisation" or existing.kind == term.kind):
                return
        if derived:
            self._derived.add(key)
        else:
            self._derived.discard(key)
        self._terms[key] = term
        self._lengths.setdefault(key[:2], set()).add(len(key))
        self._sorted_lengths.pop(key[:2], None)

    @classmethod
    def from_registry(cls) -> Lexicon:
        """Every organisation, its English name, domain and postal address, and every person contact."""
        from ceptoar.registry.models import Contact, ContactChannel, ContactKind, Organisation

        lexicon = cls()
        fields = ("code", "name", "name_en", "domain", "postal_address", "kind")
        for code, name, name_en, domain, postal_address, kind in Organisation.objects.values_list(*fields):
            lexicon.add_organisation(
                code, name, name_en=name_en, domain=domain, postal_address=postal_address, kind=kind
            )
        contacts = Contact.objects.filter(kind=ContactKind.PERSON).values_list("organisation__code", "name")
        for code, name in contacts.iterator(chunk_size=5000):
            lexicon.add_contact(code, name)
        lexicon.add_channel_domains(
            ContactChannel.objects.filter(kind="email").values_list("contact__organisation__code", "value")
        )
        return lexicon

    def add_channel_domains(self, addresses) -> None:
        """The domains of the registry's e-mail addresses, as (organisation code, address) pairs: an
        organisation may mail from a domain other than the one recorded as its own (a group's shared
        domain, an older one). A domain used by more than one organisation is a provider's (a free-mail
        service, a shared hosting) and names nobody."""
        owners: dict[str, set[str]] = {}
        for code, address in addresses:
            domain = address.rpartition("@")[2].strip().strip(".")
            domain = domain.lower() if domain.isascii() else fold(domain)
            if "." in domain:
                owners.setdefault(domain, set()).add(code)
        for domain, codes in owners.items():
            if len(codes) == 1 and domain not in self.domains:
                self.domains[domain] = next(iter(codes))

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
