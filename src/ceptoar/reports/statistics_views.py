"""The incident-report statistics page (情報連絡の統計) and its CSV download.

Thin: who may open it is `access.can_view_statistics`; every number comes from `reports.statistics`, which
counts only what `sharing.policy.visible_reports` lets the reader see. Anyone else gets 403.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ceptoar.core import exports
from ceptoar.reports import access, statistics
from ceptoar.reports.models import CauseClass, EventType

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class StatisticsFilterForm(forms.Form):
    """The page's filters, read from the query string; the CSV download takes the same ones."""

    month_from = forms.CharField(
        label=gettext_lazy("From (month)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    month_to = forms.CharField(
        label=gettext_lazy("To (month)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    sector = forms.ChoiceField(
        label=gettext_lazy("Sector"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("There is no sector called “%(value)s”.")},
    )
    event_type = forms.ChoiceField(
        label=gettext_lazy("Event type"),
        required=False,
        choices=[("", gettext_lazy("All")), *EventType.choices],
        error_messages={"invalid_choice": gettext_lazy("There is no event type called “%(value)s”.")},
    )
    cause_class = forms.ChoiceField(
        label=gettext_lazy("Cause class"),
        required=False,
        choices=[("", gettext_lazy("All")), *CauseClass.choices],
        error_messages={"invalid_choice": gettext_lazy("There is no cause class called “%(value)s”.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [("", _("All")), *statistics.sector_labels().items()]

    @staticmethod
    def _month(value: str) -> date | None:
        value = (value or "").strip()
        if not value:
            return None
        match = _MONTH.match(value)
        if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
            raise forms.ValidationError(
                _("“%(value)s” is not a month: write it as YYYY-MM, e.g. 2026-03.") % {"value": value}
            )
        return date(int(match.group(1)), int(match.group(2)), 1)

    def clean_month_from(self) -> date | None:
        return self._month(self.cleaned_data.get("month_from"))

    def clean_month_to(self) -> date | None:
        return self._month(self.cleaned_data.get("month_to"))

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("month_from"), cleaned.get("month_to")
        if first and last:
            if last < first:
                self.add_error(
                    "month_to",
                    _("The period ends (%(last)s) before it starts (%(first)s).")
                    % {"first": statistics.month_label(first), "last": statistics.month_label(last)},
                )
            elif statistics.months_between(first, last) > statistics.MAX_MONTHS:
                self.add_error(
                    "month_to",
                    _("The period may span at most %(count)d months.") % {"count": statistics.MAX_MONTHS},
                )
        return cleaned

    def filters(self) -> statistics.Filters:
        """The valid filters (call after is_valid())."""
        data = self.cleaned_data
        return statistics.Filters(
            month_from=data.get("month_from"),
            month_to=data.get("month_to"),
            sector=data.get("sector") or "",
            event_type=data.get("event_type") or "",
            cause_class=data.get("cause_class") or "",
        )


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


urlpatterns = [
    path("statistics/", statistics_page, name="statistics"),
    path("statistics/csv/", statistics_csv, name="statistics_csv"),
]
