"""The filters of the report statistics page, read from the query string; the CSV download takes the same
ones."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ceptoar.reports import statistics
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
