"""The incident-report statistics page (情報連絡の統計) and its CSV download.

Thin: who may open it is `access.can_view_statistics`; every number comes from `reports.statistics`, which
counts only what `sharing.policy.visible_reports` lets the reader see. Anyone else gets 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.reports import access, statistics
from ceptoar.reports.forms.statistics import StatisticsFilterForm
from ceptoar.utilities import exports


def _require_statistics(user) -> None:
    if not access.can_view_statistics(user):
        raise PermissionDenied(
            _("Report statistics are for CEPTOAR secretariats, sector ministries and the hub.")
        )


def statistics_page(request):
    _require_statistics(request.user)
    form = StatisticsFilterForm(request.GET)
    valid = form.is_valid()
    context = {
        "form": form,
        "valid": valid,
        "filtered": any(request.GET.get(name) for name in form.fields),
        "statistics": statistics.compute(request.user, form.filters()) if valid else None,
        "query": request.GET.urlencode(),
    }
    return render(request, "reports/statistics.html", context, status=200 if valid else 400)


def statistics_csv(request):
    _require_statistics(request.user)
    form = StatisticsFilterForm(request.GET)
    if not form.is_valid():
        lines = [
            f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
            for name, errors in form.errors.items()
            for error in errors
        ]
        return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return exports.csv_download(
        statistics.csv_table(request.user, form.filters()), f"report-statistics-{stamp}.csv"
    )
