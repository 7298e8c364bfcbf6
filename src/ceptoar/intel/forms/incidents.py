"""The forms of the signals, "check these values" and incident pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.intel.models import ObservableType

CHECK_MAX_VALUES = 5000


class SignalFilterForm(forms.Form):
    days = forms.IntegerField(label=_("Within the last (days)"), min_value=1, max_value=365, initial=7)
    min_organisations = forms.IntegerField(
        label=_("Reported by at least (organisations)"), min_value=1, max_value=1000, initial=2
    )
    min_sectors = forms.IntegerField(label=_("In at least (sectors)"), min_value=1, max_value=50, initial=1)


class CheckValuesForm(forms.Form):
    """Values pasted one a line: "type value" (ipv4-addr 198.51.100.7) or a value alone of `default_type`."""

    default_type = forms.ChoiceField(
        label=_("Type of values given alone"), choices=ObservableType.choices, initial=ObservableType.DOMAIN
    )
    values = forms.CharField(
        label=_("Values, one a line"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_('One value a line, alone or after its type: "ipv4-addr 198.51.100.7", "sha256 …".'),
    )

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("values") or ""
        types = set(ObservableType.values)
        pairs = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            first, _space, rest = line.partition(" ")
            if first in types and rest.strip():
                pairs.append((first, rest.strip()))
            elif first.endswith(":") and first[:-1] in types and rest.strip():
                pairs.append((first[:-1], rest.strip()))
            else:
                pairs.append((cleaned.get("default_type") or ObservableType.DOMAIN, line))
            if len(pairs) > CHECK_MAX_VALUES:
                raise forms.ValidationError(
                    _("At most %(max)d values at a time (line %(line)d is one too many).")
                    % {"max": CHECK_MAX_VALUES, "line": number}
                )
        if not pairs:
            self.add_error("values", _("Paste at least one value."))
        cleaned["pairs"] = pairs
        return cleaned


class IncidentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    references = forms.CharField(
        label=_("Reports to link (reference numbers, one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_references(self):
        text = self.cleaned_data.get("references") or ""
        return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


class LinkReportForm(forms.Form):
    reference = forms.CharField(label=_("Reference number of the report"), max_length=30)
