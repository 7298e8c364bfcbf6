"""A party's action on an agreement (accept, suspend, resume, revoke): for which party, and why."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.agreements.models import AgreementEvent
from ceptoar.registry.forms.fields import OrganisationChoiceField

# The actions that must say why: the other parties and the register read it in the history.
NEEDS_REASON = frozenset({AgreementEvent.Action.SUSPENDED, AgreementEvent.Action.REVOKED})
REASON_LENGTH = AgreementEvent._meta.get_field("reason").max_length


class PartyActionForm(forms.Form):
    party = OrganisationChoiceField(
        label=_("For"),
        queryset=None,
        to_field_name="code",
        empty_label=None,
        error_messages={"invalid_choice": _("You do not act for “%(value)s” on this agreement.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The other parties and the register read it in the agreement's history."),
    )

    def __init__(self, *args, parties, needs_reason: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties
        if not needs_reason:
            del self.fields["reason"]
