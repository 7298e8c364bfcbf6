"""The filters of an alert's tracking page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ceptoar.escalation.status import ReceiptStatus


class TrackingFilterForm(forms.Form):
    """The organisation table's filters, read from the query string."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any")), *ReceiptStatus.choices],
        error_messages={"invalid_choice": gettext_lazy("There is no status called “%(value)s”.")},
    )
    ceptoar = forms.ChoiceField(
        label=gettext_lazy("CEPTOAR"),
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy(
                "“%(value)s” is not a CEPTOAR whose relay this alert went through."
            )
        },
    )
    q = forms.CharField(
        label=gettext_lazy("Organisation name or code"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(self, *args, ceptoars=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ceptoar"].choices = [("", _("All")), *((c.code, c.name) for c in ceptoars)]
        if len(ceptoars) < 2:
            # One CEPTOAR or none: the choice would filter nothing.
            del self.fields["ceptoar"]

    def filters(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "status": data.get("status", ""),
            "ceptoar": data.get("ceptoar", ""),
            "search": data.get("q", ""),
        }
