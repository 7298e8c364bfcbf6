"""The forms of the observables' controls: add a value, retype one."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.intel.models import ObservableType


class AddObservableForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=ObservableType.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=2000,
        help_text=_("Defanged forms (hxxp, [.], [@]) are accepted and stored refanged."),
    )


class RetypeObservableForm(forms.Form):
    type = forms.ChoiceField(label=_("New type"), choices=ObservableType.choices)
