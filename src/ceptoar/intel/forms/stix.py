"""The forms of the STIX pages: a bundle to upload, and a technique to tag an item with."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class BundleUploadForm(forms.Form):
    file = forms.FileField(
        label=_("STIX 2.1 bundle (JSON)"),
        help_text=_("Checked whole before anything is stored: you see what it holds and confirm."),
    )


class TechniqueForm(forms.Form):
    technique = forms.CharField(
        label=_("ATT&CK technique"),
        max_length=300,
        help_text=_("Its id (T0886) or name; the list offers the imported techniques."),
    )
