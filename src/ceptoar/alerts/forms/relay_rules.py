"""The standing relay rule form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.models import Category, RelayRule
from ceptoar.registry.models import OrganisationKind

# Who relays a hub alert on: the kinds of organisation a relay rule can listen to.
RELAY_SOURCE_KINDS = [
    (OrganisationKind.HUB, OrganisationKind.HUB.label),
    (OrganisationKind.MINISTRY, OrganisationKind.MINISTRY.label),
    (OrganisationKind.CEPTOAR, OrganisationKind.CEPTOAR.label),
]


class RelayRuleForm(forms.ModelForm):
    from_organisation_kinds = forms.MultipleChoiceField(
        label=_("Relay alerts from"),
        choices=RELAY_SOURCE_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for alerts from anyone above you."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for every category."),
    )

    class Meta:
        model = RelayRule
        fields = ["from_organisation_kinds", "categories", "minimum_severity", "note"]
        labels = {"minimum_severity": _("Minimum severity"), "note": _("Note added to each relay")}
