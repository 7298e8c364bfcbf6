"""The forms of the indicator-set pages and the MISP upload."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.sharing.models import Tlp

VALUES_HELP = _(
    "One value per line: IP addresses and ranges, domains, URLs, e-mail addresses, MD5, SHA-1 and SHA-256 "
    "hashes, CVE ids, file names, ATT&CK technique ids. Defanged forms (hxxp, [.]) are accepted."
)


class IndicatorSetForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    tlp = forms.ChoiceField(label=_("TLP"), choices=Tlp.choices, initial=Tlp.AMBER)
    values = forms.CharField(
        label=_("Values"), widget=forms.Textarea(attrs={"rows": 8}), required=False, help_text=VALUES_HELP
    )


class AddValuesForm(forms.Form):
    values = forms.CharField(
        label=_("Values to add"), widget=forms.Textarea(attrs={"rows": 4}), help_text=VALUES_HELP
    )


class MispUploadForm(forms.Form):
    file = forms.FileField(
        label=_("MISP event file (JSON)"),
        help_text=_("One event, as MISP exports it. Nothing is stored until you confirm the preview."),
    )


class MispConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
