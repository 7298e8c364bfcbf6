"""The life of a failure case (障害事例), each step one transaction: made of a report with its automatic
redactions, the secretariat's own part (title, lessons, TLP, audience), sent to the reporting organisation
for approval, approved or sent back, reopened, published to the library and its search, withdrawn.

The redactions themselves are reviewed in `services.redactions`; what a case is and who may do what is
read in `reports.cases`. Errors are ValidationErrors keyed by the form field concerned, and a refused
operation leaves everything as it was.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.alerts.services.audience import build_audience
from ceptoar.notifications import events as notify
from ceptoar.reports import access
from ceptoar.reports.anonymisation import anonymise
from ceptoar.reports.anonymisation.lexicon import person_identity
from ceptoar.reports.cases import (
    AUDIENCE_CHOICES,
    CASE_TLPS,
    CLASSIFICATION_KIND,
    SEARCH_KIND,
    SUBJECT_KIND,
    TOKYO,
    apply_redactions,
    audience_choice_of,
    audience_spec_for,
    can_reopen,
    can_withdraw,
    classification_terms,
    default_audience_spec,
    open_case_of,
    registry_names,
    search_parts,
    serves_case,
    source_of,
    subject_terms,
)
from ceptoar.reports.models import (
    Case,
    CaseStatus,
    Redaction,
    RedactionKind,
    Report,
    TriageStatus,
)
from ceptoar.reports.services.case_observables import index_case_observables
from ceptoar.reports.versions import latest_submitted
from ceptoar.search import services as search
from ceptoar.sharing.models import Tlp

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


def locked_case(case: Case) -> Case:
    """The case locked for the transaction that changes it, with the version its source text is read from."""
    return Case.objects.select_for_update().select_related("source_version", "report").get(pk=case.pk)


def require_case_editor(user, case: Case) -> None:
    """`access.can_edit_case`, refused with the reason: the secretariat is told to reopen a case out of its
    hands; anyone else may not change it at all."""
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
    source = source_of(version)
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
    index_case_observables(case, names)
    return case


def _kind_of(engine_kind: str, original: str, contact_identities: frozenset[str]) -> str:
    kind = ENGINE_KINDS.get(engine_kind, RedactionKind.MANUAL)
    if kind == RedactionKind.PERSON and person_identity(original) in contact_identities:
        return RedactionKind.CONTACT
    return kind


# -- the secretariat's part ------------------------------------------------------------------------


@transaction.atomic
def update_case(user: User, case: Case, *, title: str, lessons: str, tlp: str, audience: str) -> Case:
    """The secretariat's own part of the case: its title, lessons and advice, TLP and audience."""
    case = locked_case(case)
    require_case_editor(user, case)
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
    index_case_observables(case)
    return case


@transaction.atomic
def send_for_approval(user: User, case: Case) -> Case:
    case = locked_case(case)
    require_case_editor(user, case)
    if not case.title.strip() or not case.body.strip():
        raise ValidationError(_("A case needs a title and a text before the reporter can approve it."))
    case.status = CaseStatus.AWAITING_APPROVAL
    case.submitted_for_approval_at = timezone.now()
    case.reporter_approved_at = None
    case.reporter_approved_by = None
    case.save()
    notify.case_approval_requested(case)
    return case


@transaction.atomic
def reopen_case(user: User, case: Case) -> Case:
    """Take a case awaiting or holding the reporter's approval back into review: any change after approval
    needs a new approval."""
    case = locked_case(case)
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
    case = locked_case(case)
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
    case = locked_case(case)
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


@transaction.atomic
def publish_case(user: User, case: Case) -> Case:
    """To the library: PUBLISHED and indexed, in one transaction."""
    case = locked_case(case)
    if not access.can_publish_case(user, case):
        if serves_case(user, case):
            raise ValidationError(_("Only a case the reporter has approved can be published."))
        raise PermissionDenied(_("Only the secretariat of the CEPTOAR making this case publishes it."))
    case.status = CaseStatus.PUBLISHED
    case.published_at = timezone.now()
    case.save()
    _index(case)
    index_case_observables(case)
    notify.case_published(case)
    return case


@transaction.atomic
def withdraw_case(user: User, case: Case) -> Case:
    """Out of the library and the search index; kept, seen only by the secretariat that made it."""
    case = locked_case(case)
    if not can_withdraw(user, case):
        raise PermissionDenied(_("Only the secretariat of the CEPTOAR making this case withdraws it."))
    case.status = CaseStatus.WITHDRAWN
    case.save()
    _unindex(case)
    return case


def _index(case: Case) -> None:
    """In the library's search, and in the comparison of similar cases (`cases.similar_cases`)."""
    search.index_document(SEARCH_KIND, case.pk, search_parts(case))
    search.index_terms(SUBJECT_KIND, case.pk, subject_terms(case))
    search.index_terms(CLASSIFICATION_KIND, case.pk, classification_terms(case))


def _unindex(case: Case) -> None:
    for kind in (SEARCH_KIND, SUBJECT_KIND, CLASSIFICATION_KIND):
        search.remove_document(kind, case.pk)
