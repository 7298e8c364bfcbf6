"""Incident pages: list, detail with its timeline, new (by hand or from a signal, with the reports it will
link listed before it is made), link, unlink and close (each behind a confirmation)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.intel import correlation
from ceptoar.intel.forms.incidents import IncidentForm, LinkReportForm
from ceptoar.intel.models import Incident, Observable
from ceptoar.intel.services import incidents
from ceptoar.intel.services.incident_access import (
    incident_may_change,
    incident_may_keep,
    incident_may_see_signals,
)
from ceptoar.reports.models import Report
from ceptoar.sharing import policy
from ceptoar.utilities.refusals import show_refusal


def _incident(user, pk: int) -> Incident:
    incident = get_object_or_404(Incident, pk=pk)
    if not policy.may_see(user, incident):
        raise Http404
    return incident


def _reports_by_reference(user, references: list[str]) -> tuple[list[Report], list[str]]:
    found = {
        report.reference: report
        for report in policy.visible_reports(user, Report.objects.filter(reference__in=references))
    }
    return [found[r] for r in references if r in found], [r for r in references if r not in found]


def incident_list(request):
    user = request.user
    shown = policy.visible_incidents(user).select_related("created_by").order_by("-created_at")
    return render(
        request, "intel/incident_list.html", {"incidents": shown, "may_keep": incident_may_keep(user)}
    )


def incident_detail(request, pk: int):
    user = request.user
    incident = _incident(user, pk)
    return render(
        request,
        "intel/incident_detail.html",
        {
            "incident": incident,
            "reports": incidents.linked_reports(user, incident),
            "timeline": incidents.timeline(user, incident),
            "may_change": incident_may_change(user, incident),
            "link_form": LinkReportForm(),
        },
    )


def incident_timeline(request, pk: int):
    user = request.user
    incident = _incident(user, pk)
    return render(
        request,
        "intel/incident_timeline.html",
        {"incident": incident, "timeline": incidents.timeline(user, incident)},
    )


def incident_new(request):
    user = request.user
    if not incident_may_keep(user):
        raise PermissionDenied
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reports, missing = _reports_by_reference(user, form.cleaned_data["references"])
        if missing:
            # The same words whether the report does not exist or is not the person's to see.
            form.add_error(
                "references",
                _("No report you may see has the reference %(refs)s.") % {"refs": ", ".join(missing)},
            )
        else:
            try:
                incident = incidents.do_create_incident(
                    user, form.cleaned_data["title"], reports, summary=form.cleaned_data["summary"]
                )
            except ValidationError as error:
                show_refusal(form, error)
            else:
                messages.success(request, _("The incident was made."))
                return redirect("intel:incident_detail", pk=incident.pk)
    return render(request, "intel/incident_new.html", {"form": form})


def incident_from_signal(request, observable_pk: int):
    """The confirmation page of an incident made from a signal: the reports it will link, then one click."""
    user = request.user
    if not incident_may_keep(user) or not incident_may_see_signals(user):
        raise PermissionDenied
    observable = get_object_or_404(Observable, pk=observable_pk)
    try:
        days = max(1, min(365, int(request.GET.get("days") or request.POST.get("days") or 7)))
    except ValueError:
        days = 7
    reports = list(correlation.signal_reports(user, observable, days=days))
    initial_title = _("%(value)s seen in several reports") % {"value": observable.value[:200]}
    form = IncidentForm(request.POST or None, initial={"title": initial_title})
    if request.method == "POST" and form.is_valid():
        try:
            incident = incidents.do_create_incident(
                user,
                form.cleaned_data["title"],
                reports,
                from_observable=observable,
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("The incident was made with %(n)d reports.") % {"n": len(reports)})
            return redirect("intel:incident_detail", pk=incident.pk)
    return render(
        request,
        "intel/incident_from_signal.html",
        {"form": form, "observable": observable, "reports": reports, "days": days},
    )


@require_POST
def incident_link(request, pk: int):
    user = request.user
    incident = _incident(user, pk)
    form = LinkReportForm(request.POST)
    if form.is_valid():
        reports, missing = _reports_by_reference(user, [form.cleaned_data["reference"].strip()])
        if missing:
            messages.error(
                request, _("No report you may see has the reference %(refs)s.") % {"refs": missing[0]}
            )
        else:
            try:
                incidents.do_link_report(user, incident, reports[0])
            except ValidationError as error:
                show_refusal(request, error)
            else:
                messages.success(request, _("The report was linked."))
    else:
        messages.error(request, _("Give the reference number of a report."))
    return redirect("intel:incident_detail", pk=incident.pk)


def incident_unlink(request, pk: int, report_pk: int):
    user = request.user
    incident = _incident(user, pk)
    report = get_object_or_404(policy.visible_reports(user, Report.objects.filter(pk=report_pk)))
    if request.method == "POST":
        try:
            incidents.do_unlink_report(user, incident, report)
        except ValidationError as error:
            show_refusal(request, error)
        else:
            messages.success(request, _("The report was unlinked."))
        return redirect("intel:incident_detail", pk=incident.pk)
    return render(
        request,
        "intel/incident_unlink.html",
        {"incident": incident, "report": report, "may_change": incident_may_change(user, incident)},
    )


def incident_close(request, pk: int):
    user = request.user
    incident = _incident(user, pk)
    if request.method == "POST":
        try:
            incidents.do_close_incident(user, incident)
        except ValidationError as error:
            show_refusal(request, error)
        else:
            messages.success(request, _("The incident was closed."))
        return redirect("intel:incident_detail", pk=incident.pk)
    return render(
        request,
        "intel/incident_close.html",
        {"incident": incident, "may_change": incident_may_change(user, incident)},
    )
