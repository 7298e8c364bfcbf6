"""Anonymised failure cases (障害事例): made of a report by its CEPTOAR's secretariat, reviewed redaction by
redaction, approved by the reporting organisation, then published to the library under the sharing policy.

The case never stores the original. Its source text is rebuilt on demand from the report version it was
made of (`case_source_text`, deterministic: a sent version never changes); `Redaction` rows hold spans of
that text and their replacements, and `Case.body` is the source with the accepted redactions applied.

Lifecycle (`CaseStatus`): REVIEW → AWAITING_APPROVAL → APPROVED → PUBLISHED (→ WITHDRAWN), with
CHANGES_REQUESTED back to the secretariat when the reporter asks for changes. An approved (or awaiting)
case that the secretariat wants to change is first reopened, which returns it to REVIEW: any change after
approval needs a new approval.

Each operation is one transaction; errors are ValidationErrors keyed by the form field concerned, and a
refused operation leaves everything as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.access import ceptoars_served_by
from ceptoar.accounts.models import User
from ceptoar.alerts.services.audience import AudienceSpec, build_audience
from ceptoar.registry.models import Organisation
from ceptoar.reports import access
from ceptoar.reports.anonymisation import Lexicon, anonymise
from ceptoar.reports.anonymisation.lexicon import person_identity
from ceptoar.reports.models import (
    Case,
    CaseStatus,
    Redaction,
    RedactionKind,
    Report,
    ReportVersion,
    TriageStatus,
)
from ceptoar.reports.services import latest_submitted
from ceptoar.search import services as search
from ceptoar.sharing.models import Tlp

TOKYO = ZoneInfo("Asia/Tokyo")
SEARCH_KIND = "case"

# The section headings of a case's source text, in Japanese whatever the reader's language: the text is
# the case's, shared in Japanese.
HEADING_TITLE = "【件名】"
HEADING_DESCRIPTION = "【発生事象】"
HEADING_SERVICES = "【影響を受けたサービスと影響】"
HEADING_COUNTERMEASURES = "【対策】"

# The engine's kinds → the kinds a stored redaction has. A registry contact's name is told apart from
# other personal names by the lexicon (see `_kind_of`).
ENGINE_KINDS = {
    "organisation": RedactionKind.ORGANISATION,
    "person": RedactionKind.PERSON,
    "email": RedactionKind.EMAIL,
    "phone": RedactionKind.PHONE,
    "postal_address": RedactionKind.ADDRESS,
    "hostname": RedactionKind.HOST,
    "ip_address": RedactionKind.IP,
    "url": RedactionKind.URL,
    "domain": RedactionKind.URL,
}

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


def _source(version: ReportVersion) -> SourceText:
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
    return _source(version).text


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


def _rebuild_body(case: Case, source: str | None = None) -> None:
    case.body = sanitised_body(case, source)
    case.save(update_fields=["body", "updated_at"])


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


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("source_version", "report").get(pk=case.pk)


def _require_editor(user, case: Case) -> None:
    if not access.can_edit_case(user, case):
        if serves_case(user, case):
            raise ValidationError(
                _(
                    "This case cannot be changed now (status: %(status)s). Reopen it for review first "
                    "(the reporter will then have to approve it again)."
                )
                % {"status": case.get_status_display()}
            )
        raise PermissionDenied(_("Only the secretariat of the CEPTOAR making this case may change it."))


# -- making a case ------------------------------------------------------------------------------------


def open_case_of(report: Report) -> Case | None:
    """The case already made of the report and not withdrawn, if any."""
    return report.cases.exclude(status=CaseStatus.WITHDRAWN).order_by("-id").first()


def default_audience_spec(report_ceptoar: Organisation) -> AudienceSpec:
    return AudienceSpec(ceptoars=[report_ceptoar.code])


@transaction.atomic
def create_case(user: User, report: Report) -> Case:
    """Make a case of the report's newest submitted version: automatic redactions, the sanitised body and
    title, the report's sector, event type, causes and date; TLP:GREEN for the CEPTOAR's members."""
    report = Report.objects.select_for_update().select_related("ceptoar", "organisation").get(pk=report.pk)
    if not access.can_triage(user, report) or report.status == TriageStatus.DRAFT:
        raise PermissionDenied(
            _("Only the secretariat of the CEPTOAR the report was sent to makes cases of it.")
        )
    existing = open_case_of(report)
    if existing is not None:
        raise ValidationError(
            _("A failure case is already being made of report %(reference)s: “%(title)s”.")
            % {"reference": report.reference, "title": existing.title},
            code="exists",
        )
    version = latest_submitted(report)
    if version is None:
        raise ValidationError(_("The report has no submitted version yet."))
    source = _source(version)
    names = registry_names()
    result = anonymise(source.text, lexicon=names.lexicon, reporter=report.organisation.code)
    occurred_on = timezone.localtime(version.occurred_at, TOKYO).date() if version.occurred_at else None
    case = Case.objects.create(
        report=report,
        source_version=version,
        title="",
        sector_id=report.ceptoar.sector_id,
        event_type=version.event_type,
        causes=sorted(set(version.causes)),
        occurred_on=occurred_on,
        tlp=Tlp.GREEN,
        audience=build_audience(default_audience_spec(report.ceptoar), Tlp.GREEN),
        origin_organisation=report.ceptoar,
        author=user,
    )
    rows = [
        Redaction(
            case=case,
            start=found.start,
            end=found.end,
            kind=_kind_of(found.kind, found.original, names.contact_identities),
            replacement=found.replacement[: Redaction._meta.get_field("replacement").max_length],
            accepted=True,
            automatic=True,
        )
        for found in result.redactions
    ]
    Redaction.objects.bulk_create(rows)
    case.body = apply_redactions(source.text, rows)
    title = apply_redactions(source.text, rows, source.title_start, source.title_end).strip()
    case.title = title[: Case._meta.get_field("title").max_length] or report.reference
    case.save(update_fields=["body", "title", "updated_at"])
    return case


def _kind_of(engine_kind: str, original: str, contact_identities: frozenset[str]) -> str:
    kind = ENGINE_KINDS.get(engine_kind, RedactionKind.MANUAL)
    if kind == RedactionKind.PERSON and person_identity(original) in contact_identities:
        return RedactionKind.CONTACT
    return kind


# -- the review ---------------------------------------------------------------------------------------


def _overlaps(start: int, end: int, other: Redaction) -> bool:
    return start < other.end and other.start < end


@transaction.atomic
def set_redaction_accepted(user: User, redaction: Redaction, accepted: bool) -> Redaction:
    """Accept (apply) or undo one redaction; the body follows."""
    case = _locked(redaction.case)
    _require_editor(user, case)
    redaction = Redaction.objects.get(pk=redaction.pk, case=case)
    if redaction.accepted == accepted:
        return redaction
    if accepted:
        source = source_text_of(case)
        for other in case.redactions.filter(accepted=True).exclude(pk=redaction.pk):
            if _overlaps(redaction.start, redaction.end, other):
                raise ValidationError(
                    _(
                        "“%(this)s” overlaps “%(other)s” (→ %(replacement)s), which is applied: undo that "
                        "one first."
                    )
                    % {
                        "this": source[redaction.start : redaction.end],
                        "other": source[other.start : other.end],
                        "replacement": other.replacement,
                    }
                )
    redaction.accepted = accepted
    redaction.save(update_fields=["accepted"])
    _rebuild_body(case)
    return redaction


@transaction.atomic
def add_manual_redaction(user: User, case: Case, phrase: str, replacement: str) -> list[Redaction]:
    """Replace every occurrence of `phrase` in the original with `replacement`. Refused, with nothing
    stored, if an occurrence overlaps a redaction that is applied; undone redactions it overlaps give way
    to it (they are deleted, as the secretariat's own choice supersedes them)."""
    case = _locked(case)
    _require_editor(user, case)
    errors: dict[str, list[str]] = {}
    if not phrase or not phrase.strip():
        errors["phrase"] = [_("Give the phrase to replace, exactly as it is written in the original.")]
    replacement = (replacement or "").strip()
    max_length = Redaction._meta.get_field("replacement").max_length
    if not replacement:
        errors["replacement"] = [_("Say what replaces the phrase (for example B社 or 〔製品名〕).")]
    elif len(replacement) > max_length:
        errors["replacement"] = [_("A replacement has at most %(max)d characters.") % {"max": max_length}]
    if errors:
        raise ValidationError(errors)
    source = source_text_of(case)
    spans = []
    position = source.find(phrase)
    while position != -1:
        spans.append((position, position + len(phrase)))
        position = source.find(phrase, position + len(phrase))
    if not spans:
        raise ValidationError(
            {"phrase": [_("“%(phrase)s” does not occur in the original.") % {"phrase": phrase}]}
        )
    existing = list(case.redactions.all())
    for start, end in spans:
        for other in existing:
            if other.accepted and _overlaps(start, end, other):
                raise ValidationError(
                    {
                        "phrase": [
                            _(
                                "“%(phrase)s” at character %(position)d overlaps “%(other)s” (→ %(replacement)s), "
                                "which is already replaced. Undo that redaction first, or choose a phrase that "
                                "does not overlap it. Nothing was changed."
                            )
                            % {
                                "phrase": phrase,
                                "position": start + 1,
                                "other": source[other.start : other.end],
                                "replacement": other.replacement,
                            }
                        ]
                    }
                )
    superseded = [other.pk for other in existing if any(_overlaps(s, e, other) for s, e in spans)]
    Redaction.objects.filter(pk__in=superseded).delete()
    rows = Redaction.objects.bulk_create(
        Redaction(
            case=case,
            start=start,
            end=end,
            kind=RedactionKind.MANUAL,
            replacement=replacement,
            accepted=True,
            automatic=False,
        )
        for start, end in spans
    )
    _rebuild_body(case, source)
    return rows


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


@transaction.atomic
def update_case(user: User, case: Case, *, title: str, lessons: str, tlp: str, audience: str) -> Case:
    """The secretariat's own part of the case: its title, lessons and advice, TLP and audience."""
    case = _locked(case)
    _require_editor(user, case)
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Give the case a title.")]
    elif len(title) > Case._meta.get_field("title").max_length:
        errors["title"] = [
            _("A title has at most %(max)d characters.") % {"max": Case._meta.get_field("title").max_length}
        ]
    if tlp not in CASE_TLPS:
        errors["tlp"] = [_("Choose TLP:CLEAR, GREEN, AMBER or AMBER+STRICT.")]
    if audience not in AUDIENCE_CHOICES:
        errors["audience"] = [_("Unknown choice: %(value)s") % {"value": audience}]
    if errors:
        raise ValidationError(errors)
    ceptoar = case.origin_organisation
    if audience != audience_choice_of(case):
        old = case.audience
        case.audience = build_audience(audience_spec_for(audience, ceptoar), tlp)
        case.save(update_fields=["audience"])
        old.delete()
    case.title = title
    case.lessons = (lessons or "").strip()
    case.tlp = tlp
    case.save(update_fields=["title", "lessons", "tlp", "updated_at"])
    return case


@transaction.atomic
def send_for_approval(user: User, case: Case) -> Case:
    case = _locked(case)
    _require_editor(user, case)
    if not case.title.strip() or not case.body.strip():
        raise ValidationError(_("A case needs a title and a text before the reporter can approve it."))
    case.status = CaseStatus.AWAITING_APPROVAL
    case.submitted_for_approval_at = timezone.now()
    case.reporter_approved_at = None
    case.reporter_approved_by = None
    case.save()
    return case


@transaction.atomic
def reopen_case(user: User, case: Case) -> Case:
    """Take a case awaiting or holding the reporter's approval back into review: any change after approval
    needs a new approval."""
    case = _locked(case)
    if not can_reopen(user, case):
        raise PermissionDenied(_("Only the secretariat reopens a case, and only before it is published."))
    case.status = CaseStatus.REVIEW
    case.reporter_approved_at = None
    case.reporter_approved_by = None
    case.save()
    return case


# -- the reporter's approval ------------------------------------------------------------------------


@transaction.atomic
def approve_case(user: User, case: Case) -> Case:
    case = _locked(case)
    if not access.can_approve_case(user, case):
        raise PermissionDenied(_("Only a point of contact of the reporting organisation approves this case."))
    case.status = CaseStatus.APPROVED
    case.reporter_approved_at = timezone.now()
    case.reporter_approved_by = user
    case.reporter_note = ""
    case.save()
    return case


@transaction.atomic
def request_changes(user: User, case: Case, note: str) -> Case:
    case = _locked(case)
    if not access.can_approve_case(user, case):
        raise PermissionDenied(_("Only a point of contact of the reporting organisation approves this case."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say what should change, so the secretariat can act on it.")]})
    case.status = CaseStatus.CHANGES_REQUESTED
    case.reporter_note = note
    case.reporter_approved_at = None
    case.reporter_approved_by = None
    case.save()
    return case


# -- publishing --------------------------------------------------------------------------------------


def search_parts(case: Case) -> dict[str, str]:
    return {"title": case.title, "body": case.body, "lessons": case.lessons}


@transaction.atomic
def publish_case(user: User, case: Case) -> Case:
    """To the library: PUBLISHED and indexed, in one transaction."""
    case = _locked(case)
    if not access.can_publish_case(user, case):
        if serves_case(user, case):
            raise ValidationError(_("Only a case the reporter has approved can be published."))
        raise PermissionDenied(_("Only the secretariat of the CEPTOAR making this case publishes it."))
    case.status = CaseStatus.PUBLISHED
    case.published_at = timezone.now()
    case.save()
    search.index_document(SEARCH_KIND, case.pk, search_parts(case))
    return case


@transaction.atomic
def withdraw_case(user: User, case: Case) -> Case:
    """Out of the library and the search index; kept, seen only by the secretariat that made it."""
    case = _locked(case)
    if not can_withdraw(user, case):
        raise PermissionDenied(_("Only the secretariat of the CEPTOAR making this case withdraws it."))
    case.status = CaseStatus.WITHDRAWN
    case.save()
    search.remove_document(SEARCH_KIND, case.pk)
    return case


# -- the library -------------------------------------------------------------------------------------


def library_cases(user) -> QuerySet[Case]:
    """Published cases the user may see (the sharing policy decides; this only narrows to published)."""
    from ceptoar.sharing import policy

    return policy.visible_cases(user).filter(status=CaseStatus.PUBLISHED)


def similar_cases(user, case: Case, limit: int = 5) -> list[Case]:
    """The most similar visible published cases that occurred before this one, best first."""
    if case.occurred_on is None:
        return []
    candidates = library_cases(user).filter(occurred_on__lt=case.occurred_on).values("pk")
    hits = search.similar(SEARCH_KIND, case.pk, candidate_ids=candidates, limit=limit)
    by_id = Case.objects.in_bulk([hit.object_id for hit in hits])
    found = []
    for hit in hits:
        similar_case = by_id.get(hit.object_id)
        if similar_case is not None:
            similar_case.similarity = hit.score
            found.append(similar_case)
    return found
