"""Forms for the registry pages: the query-string filters, validated so bad input gets a clear message."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ceptoar.registry.forms.fields import ceptoar_field, subgroup_field
from ceptoar.registry.models import OrganisationKind, Sector

# A date minus more days than this overflows; nobody needs to look back further than a century.
MAX_STALE_DAYS = 36500


class OrganisationFilterForm(forms.Form):
    """The filters of the organisation list, all optional, read from the query string."""

    q = forms.CharField(
        label=_("Name or code"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. banks-0001")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *OrganisationKind.choices],
        error_messages={"invalid_choice": _("There is no organisation kind called “%(value)s”.")},
    )
    sector = forms.ModelChoiceField(
        label=_("Sector"),
        required=False,
        queryset=Sector.objects.all(),
        to_field_name="code",
        empty_label=_("All sectors"),
        error_messages={"invalid_choice": _("There is no sector with the code “%(value)s”.")},
    )
    ceptoar = ceptoar_field(label=_("CEPTOAR"), required=False, empty_label=_("All CEPTOARs"))
    via = subgroup_field(label=_("Sub-group or relay hub"), required=False, empty_label=_("Any"))

    def filter(self, organisations):
        """Apply the valid filters to `organisations`. Call after is_valid()."""
        data = self.cleaned_data
        organisations = organisations.search(data.get("q") or "")
        if data.get("kind"):
            organisations = organisations.filter(kind=data["kind"])
        if data.get("sector"):
            organisations = organisations.filter(sector=data["sector"])
        membership: dict = {}
        if data.get("ceptoar"):
            membership["memberships__ceptoar"] = data["ceptoar"]
        if data.get("via"):
            membership["memberships__via"] = data["via"]
        if membership:
            # One filter() call, so CEPTOAR and sub-group must hold for the same membership row; a member
            # has at most one membership per CEPTOAR, so this cannot repeat rows.
            organisations = organisations.filter(**membership)
        return organisations


class FreshnessForm(forms.Form):
    days = forms.IntegerField(
        label=_("Not verified for (days)"),
        required=False,
        min_value=1,
        max_value=MAX_STALE_DAYS,
        error_messages={
            "invalid": _("Enter the number of days as a whole number, for example 180."),
            "min_value": _("The number of days must be 1 or more."),
            "max_value": _("The number of days must be %(limit_value)s or less."),
        },
    )

    def days_or_default(self) -> int:
        if self.is_valid() and self.cleaned_data.get("days"):
            return self.cleaned_data["days"]
        return settings.CEPTOAR_CONTACT_STALE_DAYS
