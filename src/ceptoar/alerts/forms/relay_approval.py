"""The originator's answer to a relay request."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.services.relay_approval import REASON_MAX


class RelayDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("grant", _("Grant: send the relay now")), ("refuse", _("Refuse"))],
        error_messages={
            "required": _("Choose to grant or to refuse."),
            "invalid_choice": _("Choose to grant or to refuse."),
        },
    )
    reason = forms.CharField(
        label=_("Reason (required to refuse; read by the asking organisation)"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
