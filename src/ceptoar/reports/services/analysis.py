"""Forwarding a report to an analysis partner (分析機関: FISC for finance, JAHIS for medical services, 電中研 for
electricity), the partner's analysis returned to the CEPTOAR, and the CEPTOAR sharing it with its members as
an alert (分析結果). Each is one transaction; errors are ValidationErrors keyed by the form field concerned,
and a refused operation writes nothing.

A report reaches a partner only with its reporter's consent (`Report.analysis_consent`) and under an agreement
in force that covers reports for analysis in the report's category (`reports.models.ANALYSIS_CATEGORY`) at
the forward's TLP (`agreements.flows.check_flow`, asked at the moment of the forward). What the partner then
sees is `sharing.policy`'s: the forwarded version, while the consent and an agreement still stand.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.agreements import flows
from ceptoar.agreements.models import FlowKind, OriginatorDisclosure
from ceptoar.alerts.attachments import check_attachment
from ceptoar.alerts.models import Alert, Category, Severity
from ceptoar.alerts.preview import SendPreview, preview_new, require_preview
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.notifications import events as notify
from ceptoar.registry.models import Organisation
from ceptoar.reports import access
from ceptoar.reports.models import (
    AnalysisForward,
    AnalysisStatus,
    PartnerAnalysis,
    PartnerAnalysisAttachment,
    Report,
    TriageStatus,
)
from ceptoar.reports.partners import ANALYSIS_TLPS, report_category
from ceptoar.reports.versions import latest_submitted
from ceptoar.sharing import policy
from ceptoar.sharing.models import TLP_RANK, Tlp

NOTE_MAX_LENGTH = 2000
TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 50000
# The title of the alert the members receive (Japanese, like the other alerts made by the platform).
RESULT_TITLE_PREFIX = "【分析結果】"


def _tlp_error(tlp: str) -> str | None:
    if tlp not in ANALYSIS_TLPS:
        return _("Choose %(allowed)s (not “%(value)s”).") % {
            "allowed": ", ".join(Tlp(value).label for value in ANALYSIS_TLPS),
            "value": tlp,
        }
    return None


# -- the forward -----------------------------------------------------------------------------------


@transaction.atomic
def do_forward_for_analysis(
    user: User, report: Report, partner: Organisation | None, *, tlp: str = Tlp.AMBER, note: str = ""
) -> AnalysisForward:
    """Forward the report's newest sent version to `partner` for analysis, marked `tlp`, with a note."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    access.require_triage(user, report)
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not report.analysis_consent:
        errors["analysis_consent"] = [
            _(
                "The reporter has not consented to forwarding this report for analysis (“%(field)s” on "
                "the report form): it may not be forwarded to an analysis partner."
            )
            % {"field": Report._meta.get_field("analysis_consent").verbose_name}
        ]
    if report.status not in access.FORWARDABLE_FOR_ANALYSIS:
        errors["status"] = [
            _("A report that is “%(status)s” cannot be forwarded for analysis; triage it first.")
            % {"status": TriageStatus(report.status).label}
            if report.status != TriageStatus.CLOSED
            else _("Report %(reference)s is closed; reopen it before forwarding it.")
            % {"reference": report.reference}
        ]
    tlp_error = _tlp_error(tlp)
    if tlp_error:
        errors["tlp"] = [tlp_error]
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = [
            _("The note may be at most %(limit)d characters long (it has %(count)d).")
            % {"limit": NOTE_MAX_LENGTH, "count": len(note)}
        ]
    if partner is None:
        errors["partner"] = [_("Choose the analysis partner to forward the report to.")]
    elif partner.pk == report.ceptoar_id:
        errors["partner"] = [_("A report is forwarded to an analysis partner, not to its own CEPTOAR.")]
    elif report.analysis_forwards.filter(partner=partner).exists():
        errors["partner"] = [
            _("Report %(reference)s has already been forwarded to %(partner)s.")
            % {"reference": report.reference, "partner": partner.name}
        ]
    found = None
    if partner is not None and "partner" not in errors:
        try:
            found = flows.check_flow(
                report.ceptoar,
                partner,
                FlowKind.REPORT_FOR_ANALYSIS,
                report_category(report),
                None if tlp_error else tlp,
            )
        except ValidationError as refusal:
            errors["partner"] = refusal.messages
    if errors:
        raise ValidationError(errors)
    forward = AnalysisForward.objects.create(
        report=report,
        version=latest_submitted(report),
        partner=partner,
        category=report_category(report),
        tlp=tlp,
        originator_named=found.originator == OriginatorDisclosure.NAMED,
        note=note,
        forwarded_by=user,
    )
    forward.agreements.set(found.agreements)
    notify.report_forwarded_for_analysis(forward)
    return forward


# -- the partner's analysis ------------------------------------------------------------------------


def _checked_attachments(attachments, errors: dict) -> list:
    checked = []
    for name, content in attachments or []:
        try:
            checked.append((check_attachment(name, content), content))
        except ValidationError as refusal:
            errors.setdefault("attachments", []).extend(refusal.messages)
    return checked


def _cleaned_text(title: str, text: str, errors: dict, *, text_field: str = "text") -> tuple[str, str]:
    title, text = (title or "").strip(), (text or "").strip()
    if not title:
        errors["title"] = [_("Give it a title.")]
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [
            _("The title may have at most %(limit)d characters (it has %(count)d).")
            % {"limit": TITLE_MAX_LENGTH, "count": len(title)}
        ]
    if not text:
        errors[text_field] = [_("Write the analysis.")]
    elif len(text) > TEXT_MAX_LENGTH:
        errors[text_field] = [
            _("The text may have at most %(limit)d characters (it has %(count)d).")
            % {"limit": TEXT_MAX_LENGTH, "count": len(text)}
        ]
    return title, text


@transaction.atomic
def do_submit_analysis(
    user: User,
    forwards: list[AnalysisForward],
    *,
    title: str,
    text: str,
    tlp: str,
    attachments: list[tuple[str, bytes]] | None = None,
) -> PartnerAnalysis:
    """The partner's analysis of `forwards` (reports one CEPTOAR forwarded to the user's organisation),
    returned to that CEPTOAR, whose points of contact are told."""
    errors: dict[str, list[str]] = {}
    ids = sorted({forward.pk for forward in forwards})
    readable = list(
        policy.visible_forwards(user)
        .filter(pk__in=ids, partner_id=user.organisation_id)
        .select_related("report", "report__ceptoar")
    )
    if not ids:
        errors["forwards"] = [_("Choose the reports the analysis is about.")]
    elif len(readable) != len(ids) or not all(access.can_analyse(user, forward) for forward in readable):
        raise PermissionDenied(_("Only the partner a report was forwarded to may return an analysis of it."))
    ceptoars = {forward.report.ceptoar_id for forward in readable}
    if len(ceptoars) > 1:
        errors["forwards"] = [_("An analysis goes back to one CEPTOAR: choose reports forwarded by one.")]
    title, text = _cleaned_text(title, text, errors)
    tlp_error = _tlp_error(tlp)
    if tlp_error:
        errors["tlp"] = [tlp_error]
    checked = _checked_attachments(attachments, errors)
    if errors:
        raise ValidationError(errors)
    ceptoar = readable[0].report.ceptoar
    analysis = PartnerAnalysis.objects.create(
        ceptoar=ceptoar, partner_id=user.organisation_id, author=user, title=title, text=text, tlp=tlp
    )
    analysis.forwards.set(readable)
    for info, content in checked:
        PartnerAnalysisAttachment.objects.create(
            analysis=analysis,
            file=ContentFile(content, name=info.name),
            name=info.name,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
        )
    notify.analysis_returned(analysis)
    return analysis


# -- sharing the result with the members -----------------------------------------------------------


def result_category(analysis: PartnerAnalysis) -> str:
    """The alert's category: the reports' category where they share one, else "other"."""
    categories = set(analysis.forwards.values_list("category", flat=True))
    return categories.pop() if len(categories) == 1 else Category.OTHER


def _shareable(
    user: User, analysis: PartnerAnalysis, title: str, body: str, tlp: str, severity: str
) -> tuple[PartnerAnalysis, str, str]:
    """The analysis locked, and the title and text cleaned; refused unless it may be shared as given."""
    analysis = PartnerAnalysis.objects.select_for_update().select_related("ceptoar").get(pk=analysis.pk)
    if not access.can_share_analysis(user, analysis):
        raise PermissionDenied(
            _("Only the secretariat of the CEPTOAR the analysis was returned to may share it.")
        )
    errors: dict[str, list[str]] = {}
    if analysis.status != AnalysisStatus.RETURNED:
        errors["status"] = [_("This analysis has already been shared with the members.")]
    title, body = _cleaned_text(title, body, errors, text_field="body")
    tlp_error = _tlp_error(tlp)
    if tlp_error:
        errors["tlp"] = [tlp_error]
    elif TLP_RANK[Tlp(tlp)] < TLP_RANK[Tlp(analysis.tlp)]:
        errors["tlp"] = [
            _("The partner marked its analysis %(partner)s: share it as that or higher, not %(tlp)s.")
            % {"partner": Tlp(analysis.tlp).label, "tlp": Tlp(tlp).label}
        ]
    if severity not in Severity.values:
        errors["severity"] = [_("Unknown choice: %(value)s") % {"value": severity}]
    if errors:
        raise ValidationError(errors)
    return analysis, title, body


def _result_draft(user: User, analysis: PartnerAnalysis, title: str, body: str, tlp: str, severity: str):
    # Without the partner's files: they are fixed with the returned analysis, and a preview (rolled back)
    # must not store them.
    return drafts.create_draft(
        user,
        title=f"{RESULT_TITLE_PREFIX}{title}",
        body=body,
        category=result_category(analysis),
        severity=severity,
        tlp=tlp,
        audience=AudienceSpec(ceptoars=[analysis.ceptoar.code]),
    )


@transaction.atomic
def preview_share(
    user: User,
    analysis: PartnerAnalysis,
    *,
    title: str,
    body: str,
    tlp: str,
    severity: str = Severity.MEDIUM,
) -> SendPreview:
    """What sharing the analysis as given would send (`alerts.preview`), refused as sharing it would be.
    Writes nothing; `do_share_analysis_result` asks for its token."""
    analysis, title, body = _shareable(user, analysis, title, body, tlp, severity)
    return preview_new(
        lambda: publication.check_publishable(_result_draft(user, analysis, title, body, tlp, severity)),
        user,
    )


@transaction.atomic
def do_share_analysis_result(
    user: User,
    analysis: PartnerAnalysis,
    *,
    title: str,
    body: str,
    tlp: str,
    severity: str = Severity.MEDIUM,
    confirm: str | None = None,
) -> Alert:
    """Publish the analysis to the members of the CEPTOAR it was returned to, as an alert titled
    【分析結果】<title> carrying its files, marked `tlp` (the partner's marking or higher), and link the
    analysis to it (`result_alert`: the lineage from the alert to the analysis and the reports analysed).
    The secretariat may reword the title and text first: it answers for what its members receive.
    `confirm` is the token of the preview the secretariat confirmed (`preview_share`): text, marking or
    reach changed since raises `alerts.preview.StalePreview` and nothing is written."""
    analysis, title, body = _shareable(user, analysis, title, body, tlp, severity)
    alert = _result_draft(user, analysis, title, body, tlp, severity)
    require_preview(alert, confirm, new=True, reader=user)
    files = []
    for attachment in analysis.attachments.all():
        with attachment.file.open("rb") as handle:
            files.append((attachment.name, handle.read()))
    drafts.add_attachments(alert, files)
    alert = publication.submit(alert, user)
    analysis.status, analysis.result_alert = AnalysisStatus.SHARED, alert
    analysis.shared_by, analysis.shared_at = user, timezone.now()
    analysis.save(update_fields=["status", "result_alert", "shared_by", "shared_at"])
    return alert
