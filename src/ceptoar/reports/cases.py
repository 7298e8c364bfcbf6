"""Anonymised failure cases (障害事例): made of a report by its CEPTOAR's secretariat, reviewed redaction by
redaction, approved by the reporting organisation, then published to the library under the sharing policy.

The case never stores the original. Its source text is rebuilt on demand from the report version it was
made of (`case_source_text`, deterministic: a sent version never changes); `Redaction` rows hold spans of
that text and their replacements, and `Case.body` is the source with the accepted redactions applied.

Lifecycle (`CaseStatus`): REVIEW → AWAITING_APPROVAL → APPROVED → PUBLISHED (→ WITHDRAWN), with
CHANGES_REQUESTED back to the secretariat when the reporter asks for changes. An approved (or awaiting)
case that the secretariat wants to change is first reopened, which returns it to REVIEW: any change after
approval needs a new approval.

This module reads: the source text, the redactions applied, who may do what, the audience and the library.
Every change is made in `services.cases` (the case's life) and `services.redactions` (the review).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ceptoar.accounts.access import ceptoars_served_by
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.registry.models import Organisation
from ceptoar.reports.anonymisation import Lexicon
from ceptoar.reports.models import (
    Case,
    CaseStatus,
    Cause,
    CauseClass,
    EventType,
    Report,
    ReportVersion,
)
from ceptoar.search import services as search
from ceptoar.search.text import content_words
from ceptoar.sharing.models import Tlp

TOKYO = ZoneInfo("Asia/Tokyo")
SEARCH_KIND = "case"
# What similar cases are compared on (see similar_cases): the content words of the case's text, and its
# classification (event type and causes).
SUBJECT_KIND = "case-subject"
CLASSIFICATION_KIND = "case-classification"

# The section headings of a case's source text, in Japanese whatever the reader's language: the text is
# the case's, shared in Japanese.
HEADING_TITLE = "【件名】"
HEADING_DESCRIPTION = "【発生事象】"
HEADING_SERVICES = "【影響を受けたサービスと影響】"
HEADING_COUNTERMEASURES = "【対策】"

# The narrow audiences a case may be published to (the secretariat's choice on the review page).
AUDIENCE_MEMBERS = "members"
AUDIENCE_SECTOR = "sector"
AUDIENCE_COMMUNITY = "community"
AUDIENCE_CHOICES = (AUDIENCE_MEMBERS, AUDIENCE_SECTOR, AUDIENCE_COMMUNITY)
# RED goes to named people only, which the case's narrow audiences never are.
CASE_TLPS = tuple(value for value in Tlp.values if value != Tlp.RED)

EDITABLE_STATUSES = (CaseStatus.REVIEW, CaseStatus.CHANGES_REQUESTED)
REOPENABLE_STATUSES = (CaseStatus.AWAITING_APPROVAL, CaseStatus.APPROVED)


# -- the lexicon ---------------------------------------------------------------------------------------
# Lexicon.from_registry() takes about 0.23 s on the demo's 5,800 organisations (measured on the development
# machine, 2 shared cores), against about 0.02 s to anonymise a report: a case is made by hand, one at a
# time, so it is built afresh for each case and is never stale. Should the registry grow past ~1 s, keep it
# per process keyed on a cheap fingerprint (Organisation max updated_at and count, Contact count).


@dataclass(frozen=True)
class RegistryNames:
    lexicon: Lexicon
    contact_identities: frozenset[str]


def registry_names() -> RegistryNames:
    lexicon = Lexicon.from_registry()
    identities = frozenset(identity for entry in lexicon.organisations.values() for identity in entry.people)
    return RegistryNames(lexicon, identities)


# -- the source text -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceText:
    text: str
    title_start: int
    title_end: int


def source_of(version: ReportVersion) -> SourceText:
    title = version.title.strip()
    sections = [f"{HEADING_TITLE}\n{title}"]
    title_start = len(HEADING_TITLE) + 1
    description = version.description.strip()
    if description:
        sections.append(f"{HEADING_DESCRIPTION}\n{description}")
    services = [service for service in version.affected_services.all() if service.name.strip()]
    if services:
        lines = []
        for service in services:
            impact = " ".join(service.impact.split())
            lines.append(f"・{service.name.strip()}：{impact}" if impact else f"・{service.name.strip()}")
        sections.append(HEADING_SERVICES + "\n" + "\n".join(lines))
    countermeasures = version.countermeasures.strip()
    if countermeasures:
        sections.append(f"{HEADING_COUNTERMEASURES}\n{countermeasures}")
    return SourceText("\n\n".join(sections), title_start, title_start + len(title))


def case_source_text(version: ReportVersion) -> str:
    """The text a case is made of: title, what happened, affected services and impact, countermeasures,
    under Japanese headings. The same version always gives the same text, character for character."""
    return source_of(version).text


def source_text_of(case: Case) -> str:
    return case_source_text(case.source_version)


# -- applying redactions ---------------------------------------------------------------------------


def apply_redactions(text: str, redactions, start: int = 0, end: int | None = None) -> str:
    """`text[start:end]` with the given (non-overlapping) redactions applied; spans cut by the window are
    replaced as a whole."""
    end = len(text) if end is None else end
    parts = []
    position = start
    for redaction in sorted(redactions, key=lambda r: r.start):
        if redaction.end <= start or redaction.start >= end or redaction.start < position:
            continue
        parts.append(text[position : redaction.start])
        parts.append(redaction.replacement)
        position = min(redaction.end, end)
    parts.append(text[position:end])
    return "".join(parts)


def sanitised_body(case: Case, source: str | None = None) -> str:
    source = source_text_of(case) if source is None else source
    return apply_redactions(source, case.redactions.filter(accepted=True))


# -- who may do what --------------------------------------------------------------------------------


def serves_case(user, case: Case) -> bool:
    """The secretariat (or coordinator) of the CEPTOAR that makes the case."""
    return ceptoars_served_by(user).filter(pk=case.origin_organisation_id).exists()


def can_view_review(user, case: Case) -> bool:
    """The review page is the secretariat's, whatever the status (read-only once out of its hands)."""
    return serves_case(user, case)


def can_reopen(user, case: Case) -> bool:
    return case.status in REOPENABLE_STATUSES and serves_case(user, case)


def can_withdraw(user, case: Case) -> bool:
    return case.status != CaseStatus.WITHDRAWN and serves_case(user, case)


# -- making a case ------------------------------------------------------------------------------------


def open_case_of(report: Report) -> Case | None:
    """The case already made of the report and not withdrawn, if any."""
    return report.cases.exclude(status=CaseStatus.WITHDRAWN).order_by("-id").first()


def default_audience_spec(report_ceptoar: Organisation) -> AudienceSpec:
    return AudienceSpec(ceptoars=[report_ceptoar.code])


# -- the audience ------------------------------------------------------------------------------------


def audience_choice_of(case: Case) -> str:
    audience = case.audience
    if audience.community:
        return AUDIENCE_COMMUNITY
    if audience.sectors.exists():
        return AUDIENCE_SECTOR
    return AUDIENCE_MEMBERS


def audience_spec_for(choice: str, ceptoar: Organisation) -> AudienceSpec:
    if choice == AUDIENCE_COMMUNITY:
        return AudienceSpec(community=True)
    if choice == AUDIENCE_SECTOR:
        if ceptoar.sector_id is None:
            raise ValidationError({"audience": [_("This CEPTOAR belongs to no sector.")]})
        return AudienceSpec(sectors=[ceptoar.sector.code])
    if choice == AUDIENCE_MEMBERS:
        return default_audience_spec(ceptoar)
    raise ValidationError({"audience": [_("Unknown choice: %(value)s") % {"value": choice}]})


# -- publishing --------------------------------------------------------------------------------------


def search_parts(case: Case) -> dict[str, str]:
    return {"title": case.title, "body": case.body, "lessons": case.lessons}


def subject_terms(case: Case) -> list[str]:
    """The content words of the published text: title, what happened, the affected services and their
    impact, countermeasures (all in the body) and the lessons."""
    return content_words("\n".join(search_parts(case).values()))


def classification_terms(case: Case) -> list[str]:
    """The event type and each cause as one index term each (codes without their punctuation:
    intentional.impersonation → intentionalimpersonation). "Other" and "unknown" (the event type other, the
    causes of the class other) say what a case is not classified as, not what it is about: two cases that
    share only them have nothing in common, so they are left out."""
    codes = [f"event{case.event_type}"] if case.event_type and case.event_type != EventType.OTHER else []
    codes += [f"cause{code}" for code in case.causes if Cause.class_of(code) != CauseClass.OTHER]
    return ["".join(character for character in code if character.isalnum()) for code in codes]


# -- the library -------------------------------------------------------------------------------------


def library_cases(user) -> QuerySet[Case]:
    """Published cases the user may see (the sharing policy decides; this only narrows to published)."""
    from ceptoar.sharing import policy

    return policy.visible_cases(user).filter(status=CaseStatus.PUBLISHED)


# -- similar cases ---------------------------------------------------------------------------------
# Two cases are compared on what each is about: the content words of their text (TF-IDF over the library:
# a word few cases use, ランサムウェア or 地震, weighs more than 確認 or 業務) and their classification (event
# type and causes, weighted the same way: a shared "natural disaster" says more than a shared
# "unavailability"). Each comparison is a cosine, 1 for a case against itself; the similarity is their mean,
# so text and classification count equally and a case scores 1 against itself.
#
# MIN_SIMILARITY is the share of that self-score a case must reach to be listed: 0.2, a fifth. What the
# levels mean (measured on the labelled cases of tests/reports/similar_corpus.py, docs/search.md):
# - the same classification but no word of the text in common scores 0.5 at most, the same event type alone
#   (an outage of another cause) about 0.05–0.15, everyday words alone a few hundredths;
# - two cases on one subject (two unauthorised log-ins, two storage failures) share a cause and some rare
#   words, and scored 0.25 or more.
# Chosen on the development cases of that set, then checked once on the cases kept aside: 0.81 of the
# cases listed were on the same subject, 1.00 on the same or a related one. Below it, the page says there
# is no similar case rather than showing unrelated ones.
MIN_SIMILARITY = 0.2
# Each of the two comparisons scores this many candidates before they are combined.
SIMILARITY_POOL = 50


def similarity_scores(case: Case, candidates: QuerySet[Case]) -> dict[int, float]:
    """Each candidate case's similarity to `case` (0 to 1; those that share nothing are left out)."""
    ids = candidates.values("pk")
    scores: dict[int, float] = {}
    for kind in (SUBJECT_KIND, CLASSIFICATION_KIND):
        for hit in search.similar(kind, case.pk, candidate_ids=ids, limit=SIMILARITY_POOL):
            scores[hit.object_id] = scores.get(hit.object_id, 0.0) + hit.score / 2
    return scores


def similar_cases(user, case: Case, limit: int = 5) -> list[Case]:
    """The visible published cases that occurred before this one and are at least MIN_SIMILARITY similar
    to it, most similar first, each with its `similarity`. None when none is: better than unrelated ones."""
    if case.occurred_on is None:
        return []
    candidates = library_cases(user).filter(occurred_on__lt=case.occurred_on)
    scores = similarity_scores(case, candidates)
    chosen = sorted(
        (object_id for object_id, score in scores.items() if score >= MIN_SIMILARITY),
        key=lambda object_id: (-scores[object_id], object_id),
    )[:limit]
    by_id = Case.objects.in_bulk(chosen)
    found = []
    for object_id in chosen:
        similar_case = by_id.get(object_id)
        if similar_case is not None:
            similar_case.similarity = scores[object_id]
            found.append(similar_case)
    return found
