"""The analysis-partner pages: the secretariat forwards a report (with the reporter's consent, to a partner
whose agreement covers it), the partner reads what was forwarded and returns its analysis, and the
secretariat shares the analysis with its members as an alert (分析結果).

Thin: what may be seen is `sharing.policy`'s (`visible_forwards`, `visible_partner_analyses`), who may act
`reports.access`'s, every change a service's (`reports.services.analysis`), whose refusals come back on the
form's fields.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.accounts.access import ceptoars_served_by
from ceptoar.agreements.flows import category_label
from ceptoar.alerts.preview import StalePreview
from ceptoar.reports import access, partners
from ceptoar.reports.forms.analysis import AnalysisForm, ForwardForm, ShareForm
from ceptoar.reports.models import (
    AnalysisForward,
    PartnerAnalysis,
    PartnerAnalysisAttachment,
    Report,
)
from ceptoar.reports.services import analysis as service
from ceptoar.sharing import policy
from ceptoar.utilities.downloads import attachment_response
from ceptoar.utilities.pagination import paginate
from ceptoar.utilities.refusals import REFUSED, attempt

PAGE_SIZE = 25


def _forward_or_404(user, pk: int) -> AnalysisForward:
    forward = (
        policy.visible_forwards(user)
        .select_related(
            "report", "report__ceptoar", "report__organisation", "version", "partner", "forwarded_by"
        )
        .filter(pk=pk)
        .first()
    )
    if forward is None:
        raise Http404(_("No such forwarded report, or not one you may see."))
    return forward


def _analysis_or_404(user, pk: int) -> PartnerAnalysis:
    analysis = (
        policy.visible_partner_analyses(user)
        .select_related("partner", "ceptoar", "author", "result_alert", "shared_by")
        .filter(pk=pk)
        .first()
    )
    if analysis is None:
        raise Http404(_("No such analysis, or not one you may see."))
    return analysis


# -- the secretariat forwards a report -------------------------------------------------------------


def forward_new(request, pk: int):
    report = get_object_or_404(Report.objects.select_related("ceptoar", "organisation"), pk=pk)
    if not policy.holds_report(request.user, report):
        raise Http404(_("No such report, or not one you may see."))
    if not access.can_triage(request.user, report):
        raise PermissionDenied(_("Only the secretariat of the CEPTOAR this report was sent to may do this."))
    options = partners.partner_options(report)
    form = ForwardForm(request.POST or None, options=options)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            partner = next(
                option.organisation
                for option in options
                if option.organisation.pk == form.cleaned_data["partner"]
            )
            forward = attempt(
                form,
                lambda: service.do_forward_for_analysis(
                    request.user,
                    report,
                    partner,
                    tlp=form.cleaned_data["tlp"],
                    note=form.cleaned_data["note"],
                ),
            )
            if forward is not REFUSED:
                messages.success(
                    request,
                    _("Report %(reference)s forwarded to %(partner)s for analysis.")
                    % {"reference": report.reference, "partner": partner.name},
                )
                return redirect("reports:detail", pk=report.pk)
        status = 400
    context = {
        "report": report,
        "form": form,
        "options": options,
        "category": category_label(partners.report_category(report)),
        "can_forward": access.can_forward_for_analysis(request.user, report),
        "forwards": report.analysis_forwards.select_related("partner").order_by("forwarded_at"),
    }
    return render(request, "reports/analysis_forward_new.html", context, status=status)


# -- the partner's inbox, a forwarded report and the analysis form ---------------------------------


def inbox(request):
    forwards = partners.inbox(request.user)
    page = paginate(request, forwards, PAGE_SIZE)
    context = {"page": page, "returned": partners.returned_by(request.user)[:PAGE_SIZE]}
    return render(request, "reports/analysis_inbox.html", context)


def forward_detail(request, pk: int):
    forward = _forward_or_404(request.user, pk)
    is_partner = access.can_analyse(request.user, forward)
    form = None
    status = 200
    if is_partner:
        same_ceptoar = list(partners.inbox(request.user).filter(report__ceptoar_id=forward.report.ceptoar_id))
        form = AnalysisForm(
            request.POST or None,
            request.FILES or None,
            forwards=same_ceptoar,
            initial={"forwards": [forward.pk]},
        )
        if request.method == "POST":
            if form.is_valid():
                chosen = [item for item in same_ceptoar if item.pk in set(form.cleaned_data["forwards"])]
                files = [(upload.name, upload.read()) for upload in form.cleaned_data["attachments"]]
                analysis = attempt(
                    form,
                    lambda: service.do_submit_analysis(
                        request.user,
                        chosen,
                        title=form.cleaned_data["title"],
                        text=form.cleaned_data["text"],
                        tlp=form.cleaned_data["tlp"],
                        attachments=files,
                    ),
                )
                if analysis is not REFUSED:
                    messages.success(
                        request,
                        _("Your analysis has been returned to %(ceptoar)s.")
                        % {"ceptoar": forward.report.ceptoar.name},
                    )
                    return redirect("reports:analysis_detail", pk=analysis.pk)
            status = 400
    elif request.method == "POST":
        raise PermissionDenied(_("Only the partner a report was forwarded to may return an analysis of it."))
    context = {
        "forward": forward,
        "version": forward.version,
        "is_partner": is_partner,
        "form": form,
        "analyses": policy.visible_partner_analyses(request.user).filter(forwards=forward),
    }
    return render(request, "reports/analysis_forward.html", context, status=status)


# -- returned analyses -----------------------------------------------------------------------------


def returned(request):
    if not ceptoars_served_by(request.user).exists():
        raise PermissionDenied(_("Returned analyses are for the secretariat of a CEPTOAR."))
    page = paginate(request, partners.returned_to(request.user), PAGE_SIZE)
    return render(request, "reports/analysis_returned.html", {"page": page})


def _share_form(analysis: PartnerAnalysis, data=None) -> ShareForm:
    return ShareForm(data, initial={"title": analysis.title, "body": analysis.text, "tlp": analysis.tlp})


def analysis_detail(request, pk: int, share_form: ShareForm | None = None, status: int = 200):
    analysis = _analysis_or_404(request.user, pk)
    can_share = access.can_share_analysis(request.user, analysis) and partners.is_pending(analysis)
    context = {
        "analysis": analysis,
        "forwards": analysis.forwards.select_related("report", "version").order_by("forwarded_at"),
        "attachments": analysis.attachments.all(),
        "can_share": can_share,
        "share_form": share_form or (_share_form(analysis) if can_share else None),
        "sees_reports": access.can_share_analysis(request.user, analysis),
    }
    return render(request, "reports/analysis_detail.html", context, status=status)


@require_POST
def share(request, pk: int):
    """The share form first shows the send preview (`alerts.preview`) of the alert it would publish; the
    preview's button posts the same fields back with its token, and only that publishes. Text, marking or
    members changed in between send nothing and show the new preview (409)."""
    analysis = _analysis_or_404(request.user, pk)
    form = _share_form(analysis, request.POST)
    if not form.is_valid():
        return analysis_detail(request, pk, share_form=form, status=400)
    fields = {name: form.cleaned_data[name] for name in ("title", "body", "tlp", "severity")}
    # A browser sends a textarea's line breaks as CRLF and may send a hidden field's either way: one form,
    # so that the text confirmed on the preview page is the text its token covers.
    fields["body"] = "\n".join(fields["body"].splitlines())
    token = request.POST.get("token")
    if not token:
        preview = attempt(form, lambda: service.preview_share(request.user, analysis, **fields))
        if preview is REFUSED:
            return analysis_detail(request, pk, share_form=form, status=400)
        return _share_preview(request, analysis, preview, fields)

    def share_now():
        try:
            return service.do_share_analysis_result(request.user, analysis, **fields, confirm=token)
        except StalePreview as error:
            return error  # the new preview is shown, not a refusal

    alert = attempt(form, share_now)
    if isinstance(alert, StalePreview):
        return _share_preview(request, analysis, alert.preview, fields, stale=True, status=409)
    if alert is REFUSED:
        return analysis_detail(request, pk, share_form=form, status=400)
    messages.success(request, _("The analysis has been sent to your members as an alert."))
    return redirect("alerts:detail", pk=alert.pk)


def _share_preview(request, analysis, preview, fields: dict, *, stale=False, status=200):
    context = {
        "alert": preview.alert,
        "preview": preview,
        "step": "submit",
        "stale": stale,
        "form_action": reverse("reports:analysis_share", args=[analysis.pk]),
        # What the secretariat wrote travels with the confirmation; the token covers it.
        "hidden_fields": list(fields.items()),
        "back_url": reverse("reports:analysis_detail", args=[analysis.pk]),
        "back_label": analysis.title,
    }
    return render(request, "alerts/send_preview.html", context, status=status)


def attachment(request, pk: int, attachment_pk: int):
    analysis = _analysis_or_404(request.user, pk)
    item = get_object_or_404(PartnerAnalysisAttachment, pk=attachment_pk, analysis_id=analysis.pk)
    return attachment_response(item)
