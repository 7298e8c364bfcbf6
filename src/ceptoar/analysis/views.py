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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.alerts.forms.audience import AudienceForm
from ceptoar.alerts.rendering import render_markdown
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


@require_POST
def summary_publish(request, pk):
    _require_writer(request.user)
    summary = _own_summary_or_404(request.user, pk)
    form = PublishSummaryForm(request.POST)
    if form.is_valid():
        alert = attempt(
            form,
            lambda: services.update_and_publish(
                request.user, summary, **form.summary_fields(), audience_spec=form.audience_spec()
            ),
            elsewhere=form.refused_elsewhere,
        )
        if alert is not REFUSED:
            messages.success(
                request,
                _("Published: the situation summary is on its way as “%(title)s”.") % {"title": alert.title},
            )
            return redirect("alerts:detail", pk=alert.pk)
    summary.refresh_from_db()
    return _edit_page(request, summary, form, status=400)
