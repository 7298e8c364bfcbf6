"""The situation assessment (情勢判断) page and the situation-summary pages.

Thin: who may open them is `analysis.access`; what each reader sees comes from `analysis.situation`, which
starts every list from `sharing.policy`; every change is made by `analysis.services`, whose errors go back
onto the form next to the field concerned.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.alerts.forms.audience import AudienceForm
from ceptoar.alerts.preview import StalePreview
from ceptoar.alerts.rendering import render_markdown
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.analysis import access, services, situation
from ceptoar.analysis.forms import PublishSummaryForm, SummaryForm
from ceptoar.analysis.models import SituationSummary, SummaryStatus
from ceptoar.reports.access import can_view_statistics
from ceptoar.utilities.refusals import REFUSED, attempt


def _require_assess(user) -> None:
    if not access.can_assess(user):
        raise PermissionDenied(
            _(
                "The situation assessment is for CEPTOAR coordinators and secretariats, ministries and the hub."
            )
        )


def _require_writer(user) -> None:
    _require_assess(user)
    if not access.can_write_summaries(user):
        raise PermissionDenied(_("You may not write situation summaries."))


def situation_page(request):
    _require_assess(request.user)
    context = {
        "situation": situation.assess(request.user),
        "can_write": access.can_write_summaries(request.user),
        "open_alerts_shown": situation.OPEN_ALERTS_SHOWN,
        "can_view_statistics": can_view_statistics(request.user),
    }
    return render(request, "analysis/situation.html", context)


def _own_summary_or_404(user, pk: int) -> SituationSummary:
    # Another organisation's summary answers exactly like one that does not exist.
    summary = (
        SituationSummary.objects.select_related("author", "published_alert")
        .filter(pk=pk, organisation_id=user.organisation_id)
        .first()
    )
    if summary is None:
        raise Http404(_("No such situation summary of your organisation."))
    return summary


def summary_new(request):
    _require_writer(request.user)
    status = 200
    if request.method == "POST":
        form = SummaryForm(request.POST)
        if form.is_valid():
            summary = attempt(form, lambda: services.create_draft(request.user, **form.summary_fields()))
            if summary is not REFUSED:
                messages.success(
                    request,
                    _("Saved as a draft: nobody outside your organisation sees “%(title)s” yet.")
                    % {"title": summary.title},
                )
                return redirect("analysis:summary_edit", pk=summary.pk)
        status = 400
    else:
        form = SummaryForm()
    return render(request, "analysis/summary_new.html", {"form": form}, status=status)


def _edit_page(request, summary: SituationSummary, form, status: int = 200):
    context = {
        "summary": summary,
        "form": form,
        "preview": render_markdown(summary.body),
        "can_edit": access.can_edit_summary(request.user, summary),
    }
    return render(request, "analysis/summary_edit.html", context, status=status)


def _initial_form(user, summary: SituationSummary) -> PublishSummaryForm:
    initial = {"title": summary.title, "body": summary.body, "tlp": summary.tlp}
    initial.update(AudienceForm.initial_from_spec(services.default_audience(user)))
    return PublishSummaryForm(initial=initial)


def summary_edit(request, pk):
    _require_assess(request.user)
    summary = _own_summary_or_404(request.user, pk)
    if summary.status != SummaryStatus.DRAFT or not access.can_edit_summary(request.user, summary):
        if request.method == "POST":
            raise PermissionDenied(_("This summary can no longer be changed."))
        return _edit_page(request, summary, None)
    if request.method != "POST":
        return _edit_page(request, summary, _initial_form(request.user, summary))
    form = PublishSummaryForm(request.POST)
    if form.is_valid():
        saved = attempt(
            form,
            lambda: services.update_draft(request.user, summary, **form.summary_fields()),
            elsewhere=form.refused_elsewhere,
        )
        if saved is not REFUSED:
            messages.success(request, _("Draft saved."))
            return redirect("analysis:summary_edit", pk=saved.pk)
    summary.refresh_from_db()
    return _edit_page(request, summary, form, status=400)


def _preview_page(request, summary, preview, spec: AudienceSpec, *, stale=False, status=200):
    context = {
        "alert": preview.alert,
        "preview": preview,
        "step": "submit",
        "stale": stale,
        "form_action": reverse("analysis:summary_publish", args=[summary.pk]),
        "hidden_fields": AudienceForm.hidden_from_spec(spec),
        "back_url": reverse("analysis:summary_edit", args=[summary.pk]),
        "back_label": _("Situation summary"),
    }
    return render(request, "alerts/send_preview.html", context, status=status)


@require_POST
def summary_publish(request, pk):
    """“Publish as alert”: saves the edits and shows the send preview (`alerts.preview`); the preview's
    button posts back here with its token and the audience, and only then is the summary published. A
    summary, audience or reach changed in between sends nothing and shows the new preview (409)."""
    _require_writer(request.user)
    summary = _own_summary_or_404(request.user, pk)
    token = request.POST.get("token")
    if token:
        return _confirm_publish(request, summary, token)
    form = PublishSummaryForm(request.POST)
    if form.is_valid():
        spec = form.audience_spec()
        preview = attempt(
            form,
            lambda: services.preview_publication(
                request.user, summary, **form.summary_fields(), audience_spec=spec
            ),
            elsewhere=form.refused_elsewhere,
        )
        if preview is not REFUSED:
            return _preview_page(request, summary, preview, spec)
    summary.refresh_from_db()
    return _edit_page(request, summary, form, status=400)


def _confirm_publish(request, summary: SituationSummary, token: str):
    form = AudienceForm(request.POST)
    if not form.is_valid():
        # Only a hand-made request gets here: the preview page carries the audience it was drawn for.
        summary.refresh_from_db()
        return _edit_page(request, summary, _initial_form(request.user, summary), status=400)
    spec = form.audience_spec()

    def publish():
        try:
            return services.publish_as_alert(request.user, summary, spec, confirm=token)
        except StalePreview as error:
            return error  # the new preview is shown, not a refusal

    alert = attempt(request, publish)
    if isinstance(alert, StalePreview):
        return _preview_page(request, summary, alert.preview, spec, stale=True, status=409)
    if alert is REFUSED:
        return redirect("analysis:summary_edit", pk=summary.pk)
    messages.success(
        request,
        _("Published: the situation summary is on its way as “%(title)s”.") % {"title": alert.title},
    )
    return redirect("alerts:detail", pk=alert.pk)
