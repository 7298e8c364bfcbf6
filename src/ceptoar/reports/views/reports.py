"""The reporter's pages: my organisation's reports, a new report, the report form (saved as it is typed),
sending (第1報, follow-ups, 最終報), and a report's page with its history of versions.

Thin: who may see a report is asked of `sharing.policy`, who may write one of `reports.access`, and every
change is made by `reports.services` (drafts, submission, attachments), whose errors go back onto the field
concerned.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.reports import access
from ceptoar.reports.forms.reports import (
    FIELD_ALIASES,
    REPORT_TIMEZONE,
    NewReportForm,
    ReportForm,
    add_attachments,
    format_observables,
    save_typed_draft,
    services_formset,
)
from ceptoar.reports.models import (
    AffectedService,
    Cause,
    Report,
    ReportAttachment,
    ReportVersion,
    TriageStatus,
)
from ceptoar.reports.services import submission
from ceptoar.reports.services.attachments import remove_attachment
from ceptoar.reports.services.drafts import CONTENT_FIELDS, start_follow_up, start_report
from ceptoar.reports.services.receipts import record_receipt
from ceptoar.reports.versions import draft_of, latest_submitted, version_label
from ceptoar.sharing import policy
from ceptoar.utilities.downloads import attachment_response
from ceptoar.utilities.pagination import paginate
from ceptoar.utilities.refusals import REFUSED, attempt, show_refusal

PAGE_SIZE = 25


def _visible_report_or_404(user, pk: int) -> Report:
    report = get_object_or_404(Report.objects.select_related("organisation", "ceptoar"), pk=pk)
    # A report the user may not see answers exactly like one that does not exist; so does one an analysis
    # partner sees only as forwarded to it (its page is the forward's: `views.analysis`).
    if not policy.holds_report(user, report):
        raise Http404(_("No such report, or not one you may see."))
    return report


def _local_time(moment) -> str:
    return date_format(timezone.localtime(moment, REPORT_TIMEZONE), "H:i:s")


# -- my organisation's reports ---------------------------------------------------------------------


def report_list(request):
    reports = (
        policy.visible_reports(request.user)
        .filter(organisation_id=request.user.organisation_id)
        .select_related("ceptoar")
        .prefetch_related(Prefetch("versions", queryset=ReportVersion.objects.order_by("number")))
        .order_by("-updated_at", "-id")
    )
    page = paginate(request, reports, PAGE_SIZE)
    for report in page:
        versions = list(report.versions.all())
        sent = [version for version in versions if not version.is_draft]
        report.latest_version = sent[-1] if sent else None
        report.latest_label = version_label(sent[-1]) if sent else ""
        report.open_draft = next((version for version in versions if version.is_draft), None)
        report.display_title = report.title or (report.open_draft.title if report.open_draft else "")
    context = {"page": page, "can_report": access.can_report(request.user)}
    return render(request, "reports/report_list.html", context)


# -- a new report -----------------------------------------------------------------------------------


def new_report(request):
    ceptoars = access.ceptoars_reportable_by(request.user).order_by("ceptoar_profile__map_position", "code")
    if not ceptoars.exists():
        raise PermissionDenied(_("Only a member's point of contact can report incidents."))
    status = 200
    if request.method == "POST":
        data = request.POST
        if "ceptoar" not in data and ceptoars.count() == 1:
            # The one CEPTOAR the organisation belongs to: no question to ask.
            data = data.copy()
            data["ceptoar"] = str(ceptoars.get().pk)
        form = NewReportForm(data, ceptoars=ceptoars)
        if form.is_valid():
            report = attempt(form, lambda: start_report(request.user, form.cleaned_data["ceptoar"]))
            if report is not REFUSED:
                return redirect("reports:edit", pk=report.pk)
        status = 400
    else:
        form = NewReportForm(ceptoars=ceptoars, initial={"ceptoar": ceptoars.first()})
    return render(request, "reports/report_new.html", {"form": form}, status=status)


# -- the report form --------------------------------------------------------------------------------


def _editable_draft(request, pk: int) -> tuple[Report, ReportVersion]:
    """The report and its draft, when the user may write it; otherwise a redirect to the report's page
    (raised as _Redirect) with the reason."""
    report = _visible_report_or_404(request.user, pk)
    if not access.can_edit_report(request.user, report):
        if report.status == TriageStatus.CLOSED:
            raise _Redirect(report, _("Report %(reference)s is closed; it can no longer change."))
        raise _Redirect(report, _("Only your own organisation's open reports can be changed here."))
    draft = draft_of(report)
    if draft is None:
        raise _Redirect(
            report,
            _("Report %(reference)s has no draft; use “Send a follow-up” to write the next version."),
        )
    return report, draft


class _Redirect(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, report: Report, message: str):
        super().__init__(message)
        self.report = report
        self.message = message % {"reference": report.reference}


def _with_draft(view):
    def wrapped(request, pk, *args, **kwargs):
        try:
            report, draft = _editable_draft(request, pk)
        except _Redirect as refusal:
            messages.error(request, refusal.message)
            return redirect("reports:detail", pk=refusal.report.pk)
        return view(request, report, draft, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _edit_context(report: Report, draft: ReportVersion, form: ReportForm, formset) -> dict:
    attachments = report.attachments.select_related("version").order_by("uploaded_at", "id")
    return {
        "report": report,
        "draft": draft,
        "draft_label": version_label(draft),
        "previous": latest_submitted(report),
        "form": form,
        "formset": formset,
        "attachments": attachments,
        "saved_at": _local_time(draft.saved_at),
    }


def _render_edit(request, report, draft, form, formset, status=200, not_sent=False):
    context = _edit_context(report, draft, form, formset) | {"not_sent": not_sent}
    return render(request, "reports/report_edit.html", context, status=status)


def _save_posted(request, report: Report, draft: ReportVersion, add_row: bool = False):
    """Save what was posted (what is valid of it), add its files and remove the one asked for. Returns
    the bound form and formset and whether everything went through."""
    form = ReportForm(request.POST, request.FILES, report=report)
    formset = services_formset(request.POST, add_row=add_row)
    complete = save_typed_draft(request.user, draft, form, formset)
    add_attachments(request.user, draft, form)
    remove = request.POST.get("remove_attachment")
    if remove:
        attachment = report.attachments.filter(pk=remove if remove.isdigit() else None).first()
        if attachment is None:
            form.add_error("attachments", _("That file is no longer attached."))
        else:
            attempt(
                form,
                lambda: remove_attachment(request.user, attachment),
                aliases=FIELD_ALIASES,
                fallback="attachments",
            )
    report.refresh_from_db()
    draft.refresh_from_db()
    return form, formset, complete and not form.errors


@_with_draft
def edit(request, report, draft):
    if request.method != "POST":
        form = ReportForm(report=report, version=draft)
        return _render_edit(request, report, draft, form, services_formset(version=draft))
    add_row = "add_service" in request.POST
    form, formset, complete = _save_posted(request, report, draft, add_row=add_row)
    if complete and not add_row and not request.htmx:
        messages.success(request, _("Draft saved at %(time)s.") % {"time": _local_time(draft.saved_at)})
        return redirect("reports:edit", pk=report.pk)
    # "Add a service" (and htmx, which swaps only a 2xx answer) is not a failed save: the page comes back.
    ok = complete or add_row or request.htmx
    return _render_edit(request, report, draft, form, formset, status=200 if ok else 400)


@require_POST
@_with_draft
def autosave(request, report, draft):
    """htmx: save what has been typed so far; answer with the time saved and the errors of each field."""
    form = ReportForm(request.POST, report=report)
    formset = services_formset(request.POST)
    complete = save_typed_draft(request.user, draft, form, formset)
    draft.refresh_from_db()
    context = {
        "form": form,
        "formset": formset,
        "complete": complete,
        "saved_at": _local_time(draft.saved_at),
    }
    response = HttpResponse(render_to_string("reports/report_autosave.html", context, request=request))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@_with_draft
def submit(request, report, draft):
    """Save what was posted, then send it; refused, the page shows why on each field and the draft stays
    saved as typed."""
    form, formset, complete = _save_posted(request, report, draft)
    if complete:
        stage = form.cleaned_data.get("stage") or None
        version = attempt(
            form, lambda: submission.submit(request.user, draft, stage=stage), aliases=FIELD_ALIASES
        )
        if version is not REFUSED:
            messages.success(
                request,
                _("%(label)s of %(reference)s has been sent to %(ceptoar)s.")
                % {
                    "label": version_label(version),
                    "reference": report.reference,
                    "ceptoar": report.ceptoar,
                },
            )
            return redirect("reports:detail", pk=report.pk)
    draft.refresh_from_db()
    return _render_edit(request, report, draft, form, formset, status=400, not_sent=True)


@require_POST
def follow_up(request, pk):
    report = _visible_report_or_404(request.user, pk)
    try:
        draft = start_follow_up(request.user, report)
    except ValidationError as error:
        show_refusal(request, error)
    except PermissionDenied as error:
        report.refresh_from_db()
        if report.status == TriageStatus.CLOSED:
            messages.error(
                request,
                _("Report %(reference)s is closed; no follow-up can be added to it.")
                % {"reference": report.reference},
            )
        else:
            messages.error(request, str(error) or _("You cannot add to this report."))
    else:
        return redirect("reports:edit", pk=draft.report_id)
    return redirect("reports:detail", pk=report.pk)


# -- a report's page ----------------------------------------------------------------------------------


def _display(version: ReportVersion, name: str) -> str:
    value = getattr(version, name)
    if name in ("occurred_at", "detected_at", "recovered_at"):
        return date_format(timezone.localtime(value, REPORT_TIMEZONE), "Y-m-d H:i") if value else "—"
    if name == "event_type":
        return version.get_event_type_display() or "—"
    if name == "incident_status":
        return version.get_incident_status_display()
    if name == "causes":
        labels = dict(Cause.choices)
        return ", ".join(str(labels.get(code, code)) for code in value) or "—"
    if name == "observables":
        return format_observables(value) or "—"
    return value or "—"


def _service_line(service: AffectedService) -> str:
    parts = [service.name]
    if service.impact:
        parts.append(service.impact)
    if service.people_affected is not None:
        parts.append(_("%(count)s people") % {"count": f"{service.people_affected:,}"})
    if service.duration_minutes is not None:
        parts.append(_("%(minutes)s min") % {"minutes": service.duration_minutes})
    if service.continuity_level_breached:
        parts.append(_("continuity level breached"))
    return " / ".join(parts)


def version_changes(previous: ReportVersion | None, version: ReportVersion) -> list[dict]:
    """What changed from `previous` to `version`, field by field, in words: [{label, before, after}]."""
    if previous is None:
        return []
    changes = []
    for name in CONTENT_FIELDS:
        if getattr(previous, name) != getattr(version, name):
            changes.append(
                {
                    "label": ReportVersion._meta.get_field(name).verbose_name,
                    "before": _display(previous, name),
                    "after": _display(version, name),
                }
            )
    before = [_service_line(service) for service in previous.affected_services.all()]
    after = [_service_line(service) for service in version.affected_services.all()]
    if before != after:
        changes.append(
            {
                "label": AffectedService._meta.verbose_name_plural,
                "before": "\n".join(before) or "—",
                "after": "\n".join(after) or "—",
            }
        )
    return changes


def detail(request, pk):
    forwarded = (
        policy.visible_forwards(request.user)
        .filter(report_id=pk, partner_id=request.user.organisation_id)
        .first()
    )
    if forwarded is not None and not policy.reports_held(request.user).filter(pk=pk).exists():
        return redirect("reports:analysis_forward", pk=forwarded.pk)
    report = _visible_report_or_404(request.user, pk)
    record_receipt(request.user, report)
    ours = report.organisation_id == request.user.organisation_id
    versions = list(
        report.versions.exclude(submitted_at=None)
        .select_related("author")
        .prefetch_related("affected_services")
        .order_by("number")
    )
    previous = None
    for version in versions:
        version.label = version_label(version)
        version.changes = version_changes(previous, version)
        previous = version
    draft = draft_of(report) if ours else None
    attachments = report.attachments.select_related("version").order_by("uploaded_at", "id")
    if not ours:
        # Files added to a draft stay with the reporter until that version is sent.
        attachments = attachments.exclude(version__submitted_at=None)
    can_edit = access.can_edit_report(request.user, report)
    context = {
        "report": report,
        "latest": versions[-1] if versions else None,
        "versions": list(reversed(versions)),
        "draft": draft,
        "draft_label": version_label(draft) if draft else "",
        "attachments": attachments,
        "can_continue": can_edit and draft is not None,
        "can_follow_up": can_edit and draft is None and bool(versions),
        "analysis_forwards": policy.visible_forwards(request.user)
        .filter(report_id=report.pk)
        .select_related("partner")
        .order_by("forwarded_at"),
        "can_forward_for_analysis": access.can_forward_for_analysis(request.user, report),
    }
    return render(request, "reports/report_detail.html", context)


def attachment(request, pk, attachment_pk):
    report = _visible_report_or_404(request.user, pk)
    item = get_object_or_404(
        ReportAttachment.objects.select_related("version"), pk=attachment_pk, report_id=report.pk
    )
    if item.version.is_draft and report.organisation_id != request.user.organisation_id:
        raise Http404(_("No such report, or not one you may see."))
    return attachment_response(item)
