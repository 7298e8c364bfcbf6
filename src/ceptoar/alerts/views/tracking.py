"""The tracking page of an alert (配信・受領状況), its live summary and its CSV export.

Thin: who may track is `tracking.can_track`, every number comes from `tracking`. Anyone else gets the
same 404 as for an alert that does not exist.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.alerts import tracking
from ceptoar.alerts.forms.tracking import TrackingFilterForm
from ceptoar.alerts.models import Alert
from ceptoar.escalation.status import ReceiptStatus
from ceptoar.utilities import exports
from ceptoar.utilities.pagination import paginate


def _trackable_alert_or_404(user, pk: int) -> Alert:
    alert = get_object_or_404(Alert.objects.select_related("origin_organisation"), pk=pk)
    if not tracking.can_track(user, alert):
        raise Http404(_("No such alert, or not one you may see."))
    return alert


def tracking_page(request, pk):
    alert = _trackable_alert_or_404(request.user, pk)
    sub = tracking.subtree(alert)
    form = TrackingFilterForm(request.GET, ceptoars=sub.ceptoars())
    valid = form.is_valid()
    rows = (
        tracking.organisation_rows(sub, **form.filters()) if valid else tracking.organisation_rows(sub).none()
    )
    page = paginate(request, rows, tracking.PAGE_SIZE)
    page.object_list = tracking.describe(sub, page.object_list)
    context = {
        "alert": sub.top,
        "summary": tracking.summarise(sub),
        "form": form,
        "valid": valid,
        "filtered": any(request.GET.get(name) for name in form.fields),
        "page": page,
        "statuses": ReceiptStatus.choices,
    }
    return render(request, "alerts/tracking.html", context, status=200 if valid else 400)


def tracking_live(request, pk):
    """The summary alone, which the page fetches every few seconds (htmx) to stay current."""
    alert = _trackable_alert_or_404(request.user, pk)
    sub = tracking.subtree(alert)
    context = {"alert": sub.top, "summary": tracking.summarise(sub)}
    response = render(request, "alerts/_tracking_summary.html", context)
    response["Cache-Control"] = "no-store"
    return response


def tracking_csv(request, pk):
    alert = _trackable_alert_or_404(request.user, pk)
    sub = tracking.subtree(alert)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return exports.csv_download(tracking.csv_lines(sub), f"alert-{alert.pk}-tracking-{stamp}.csv")
