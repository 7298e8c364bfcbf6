"""The secretariat's triage pages (queue, reporting deadlines), the list of reports forwarded to an
organisation, and the POST actions of the triage panel and the conversation on a report's page.

Thin: visibility is `sharing.policy`'s, the right to act `reports.access`'s, every change a service's
(`reports.services`), whose errors come back as messages (nothing changed).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.accounts.access import ceptoars_served_by
from ceptoar.reports import tracking
from ceptoar.reports.forms.triage import ALL, OPEN, DeadlinesForm, QueueFilterForm
from ceptoar.reports.models import DeadlineKind, HopLevel, Report, TriageStatus
from ceptoar.reports.services import comments, routing, triage
from ceptoar.reports.services.deadlines import set_deadlines
from ceptoar.sharing import policy
from ceptoar.utilities.pagination import paginate
from ceptoar.utilities.refusals import REFUSED, attempt

PAGE_SIZE = 25


def detail_url(report_pk: int) -> str:
    """The report's page (another module's); the queue until that page exists."""
    try:
        return reverse("reports:detail", args=[report_pk])
    except NoReverseMatch:
        return reverse("reports:triage_queue")


def _visible_report_or_404(user, pk: int) -> Report:
    report = get_object_or_404(Report.objects.select_related("ceptoar", "organisation"), pk=pk)
    # A report the user may not see answers exactly like one that does not exist; so does one an analysis
    # partner sees only as forwarded to it (its page is the forward's: `views.analysis`).
    if not policy.holds_report(user, report):
        raise Http404(_("No such report, or not one you may see."))
    return report


# -- the queue ------------------------------------------------------------------------------------


def _require_secretariat(user) -> None:
    if not ceptoars_served_by(user).exists():
        raise PermissionDenied(_("The triage queue is for the secretariat of a CEPTOAR."))


def _tabs(request, counts: dict[str, int], current: str) -> list[dict]:
    query = request.GET.copy()
    query.pop("page", None)
    tabs = []
    open_total = sum(n for status, n in counts.items() if status != TriageStatus.CLOSED)
    entries = [(OPEN, _("Open"), open_total)]
    entries += [
        (status, TriageStatus(status).label, counts.get(status, 0)) for status in tracking.QUEUE_STATUSES
    ]
    entries.append((ALL, _("All"), sum(counts.values())))
    for value, label, count in entries:
        query["status"] = value
        tabs.append(
            {
                "value": value,
                "label": label,
                "count": count,
                "url": f"?{query.urlencode()}",
                "current": value == current,
            }
        )
    return tabs


def queue(request):
    _require_secretariat(request.user)
    form = QueueFilterForm(request.GET)
    valid = form.is_valid()
    now = timezone.now()
    status = form.cleaned_data["status"] if valid else OPEN
    text = form.cleaned_data["q"] if valid else ""
    reports = tracking.search_reports(tracking.triage_queue(request.user), text)
    if not valid:
        reports = reports.none()
    counted = (
        tracking.search_reports(tracking.queue_reports(request.user), text)
        if valid
        else Report.objects.none()
    )
    counts = dict(counted.order_by().values_list("status").annotate(n=Count("id")))
    overdue = reports.filter(next_due_at__lt=now).count() if valid else 0
    if status == OPEN:
        reports = reports.exclude(status=TriageStatus.CLOSED)
    elif status != ALL:
        reports = reports.filter(status=status)
    page = paginate(request, reports, PAGE_SIZE)
    hours = tracking.deadline_hours_by_ceptoar({report.ceptoar_id for report in page.object_list})
    for report in page.object_list:
        report.deadline_list = tracking.deadlines(report, now=now, hours=hours[report.ceptoar_id])
        report.detail_url = detail_url(report.pk)
    context = {
        "form": form,
        "valid": valid,
        "page": page,
        "tabs": _tabs(request, counts, status),
        "status": status,
        "overdue": overdue,
        "filtered": bool(request.GET.get("q")),
        "now": now,
    }
    return render(request, "reports/triage_queue.html", context, status=200 if valid else 400)


# -- reports forwarded to one's organisation --------------------------------------------------------


def received(request):
    """The reports that reached the user's organisation at a hop (a ministry, the hub, a secretariat); those
    forwarded to it for analysis are in its analysis inbox."""
    reports = (
        policy.reports_held(request.user)
        .exclude(organisation_id=request.user.organisation_id)
        .exclude(status=TriageStatus.DRAFT)
        .select_related("ceptoar")
        .order_by("-first_submitted_at", "-id")
    )
    form = QueueFilterForm(request.GET)
    valid = form.is_valid()
    reports = tracking.search_reports(reports, form.cleaned_data["q"]) if valid else reports.none()
    page = paginate(request, reports, PAGE_SIZE)
    for report in page.object_list:
        report.detail_url = detail_url(report.pk)
    context = {"form": form, "valid": valid, "page": page, "filtered": bool(request.GET.get("q"))}
    return render(request, "reports/triage_received.html", context, status=200 if valid else 400)


# -- deadlines ------------------------------------------------------------------------------------


def deadlines(request):
    _require_secretariat(request.user)
    served = list(ceptoars_served_by(request.user).order_by("code"))
    wanted = request.POST.get("ceptoar") or request.GET.get("ceptoar")
    ceptoar = (
        next((c for c in served if str(c.pk) == wanted or c.code == wanted), None) if wanted else served[0]
    )
    if ceptoar is None:
        raise Http404(_("You are not the secretariat of that CEPTOAR."))
    current = tracking.deadline_hours(ceptoar)
    status = 200
    if request.method == "POST":
        form = DeadlinesForm(request.POST)
        if form.is_valid():
            saved = attempt(
                form,
                lambda: set_deadlines(
                    request.user,
                    ceptoar,
                    form.cleaned_data["first_hours"],
                    form.cleaned_data["details_hours"],
                ),
            )
            if saved is not REFUSED:
                messages.success(
                    request,
                    _("Reporting deadlines of %(ceptoar)s saved.") % {"ceptoar": ceptoar},
                )
                return redirect(f"{reverse('reports:deadlines')}?ceptoar={ceptoar.pk}")
        status = 400
    else:
        form = DeadlinesForm(
            initial={
                "first_hours": current[DeadlineKind.FIRST],
                "details_hours": current[DeadlineKind.DETAILS],
            }
        )
    defaults = tracking.default_deadline_hours()
    context = {
        "form": form,
        "ceptoar": ceptoar,
        "served": served,
        "current": current,
        "default_first": defaults[DeadlineKind.FIRST],
        "default_details": defaults[DeadlineKind.DETAILS],
    }
    return render(request, "reports/triage_deadlines.html", context, status=status)


# -- actions on one report --------------------------------------------------------------------------


@require_POST
def comment(request, pk):
    report = _visible_report_or_404(request.user, pk)
    added = attempt(
        request,
        lambda: comments.add_comment(
            request.user, report, request.POST.get("body", ""), internal=request.POST.get("internal") == "on"
        ),
    )
    if added is not REFUSED:
        messages.success(request, _("Comment added."))
    return redirect(detail_url(report.pk) + "#conversation")


@require_POST
def set_status(request, pk):
    report = _visible_report_or_404(request.user, pk)
    changed = attempt(
        request,
        lambda: triage.set_status(
            request.user, report, request.POST.get("status", ""), comment=request.POST.get("comment", "")
        ),
    )
    if changed is not REFUSED:
        report = changed
        messages.success(
            request,
            _("Report %(reference)s is now “%(status)s”.")
            % {"reference": report.reference, "status": TriageStatus(report.status).label},
        )
    return redirect(detail_url(report.pk) + "#triage")


@require_POST
def forward(request, pk):
    report = _visible_report_or_404(request.user, pk)
    hops = attempt(request, lambda: routing.forward(request.user, report, request.POST.getlist("to_levels")))
    if hops is not REFUSED:
        messages.success(
            request,
            _("Report %(reference)s forwarded to %(names)s.")
            % {
                "reference": report.reference,
                "names": ", ".join(f"{hop.organisation} ({HopLevel(hop.level).label})" for hop in hops),
            },
        )
    return redirect(detail_url(report.pk) + "#triage")
