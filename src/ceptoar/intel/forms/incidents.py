"""The forms of the signals, "check these values" and incident pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.intel import extraction
from ceptoar.intel.models import ObservableType
from ceptoar.intel.services.indicator_sets import guess_type

CHECK_MAX_VALUES = 5000


class SignalFilterForm(forms.Form):
    days = forms.IntegerField(label=_("Within the last (days)"), min_value=1, max_value=365, initial=7)
    min_organisations = forms.IntegerField(
        label=_("Reported by at least (organisations)"), min_value=1, max_value=1000, initial=2
    )
    min_sectors = forms.IntegerField(label=_("In at least (sectors)"), min_value=1, max_value=50, initial=1)


class CheckValuesForm(forms.Form):
    """Indicators pasted as they come: one a line, or a whole advisory or mail, defanged or not. Each line is
    read as "type value" (ipv4-addr 198.51.100.7), else as one value whose type is recognised, else as text
    whose values extraction finds; values are normalised as the stored ones are, so they match."""

    values = forms.CharField(
        label=_("Values or text"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "One value a line, or paste a whole advisory or mail: addresses, domains, URLs, hashes, CVE ids "
            "and ATT&CK ids are found in it, written defanged (hxxp, [.]) or not."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("values") or ""
        types = set(ObservableType.values)
        pairs: list[tuple[str, str]] = []
        unrecognised: list[int] = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            first, _space, rest = line.partition(" ")
            first = first.removesuffix(":")
            if first in types and rest.strip():
                found = [(first, extraction.canonical(first, rest.strip()))]
            else:
                guessed = guess_type(line)
                found = [guessed] if guessed else [(f.type, f.value) for f in extraction.extract(line)]
            if not found:
                unrecognised.append(number)
            pairs.extend(pair for pair in found if pair not in pairs)
            if len(pairs) > CHECK_MAX_VALUES:
                raise forms.ValidationError(
                    _("At most %(max)d values at a time (line %(line)d is one too many).")
                    % {"max": CHECK_MAX_VALUES, "line": number}
                )
        if not pairs:
            self.add_error("values", _("No value of a known type was found in what you pasted."))
        cleaned["pairs"] = pairs
        cleaned["unrecognised"] = unrecognised
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
