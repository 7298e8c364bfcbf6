"""Forms of the triage pages: the queue's (and the received list's) search and status tab, and a CEPTOAR's
reporting deadlines. `services.deadlines` decides what may be saved."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ceptoar.reports.tracking import MAX_DEADLINE_HOURS, QUEUE_STATUSES

# The queue's tabs beside the statuses: every open report, and every report.
OPEN = "open"
ALL = "all"


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Reference or title"), required=False, max_length=200)
    status = forms.CharField(label=gettext_lazy("Status"), required=False, widget=forms.HiddenInput)

    def clean_status(self) -> str:
        value = self.cleaned_data.get("status") or OPEN
        if value not in (OPEN, ALL, *QUEUE_STATUSES):
            raise ValidationError(_("There is no status called “%(value)s”.") % {"value": value})
        return value


class DeadlinesForm(forms.Form):
    first_hours = forms.IntegerField(
        label=gettext_lazy("First report: hours after detection"),
        min_value=1,
        max_value=MAX_DEADLINE_HOURS,
    )
    details_hours = forms.IntegerField(
        label=gettext_lazy("Detailed (final) report: hours after detection"),
        min_value=1,
        max_value=MAX_DEADLINE_HOURS,
    )

    def clean(self):
        cleaned = super().clean()
        first, details = cleaned.get("first_hours"), cleaned.get("details_hours")
        if first is not None and details is not None and details < first:
            self.add_error(
                "details_hours",
                _("The detailed report cannot be due before the first report (%(hours)d hours).")
                % {"hours": first},
            )
        return cleaned
