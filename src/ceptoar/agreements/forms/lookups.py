"""The list's filters and the dry run's two organisations, read from the query string and checked, so a code
that names nothing is an error on its field, never an empty or wider answer."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ceptoar.accounts.access import ceptoars_served_by, is_active_member
from ceptoar.agreements.access import sees_register
from ceptoar.agreements.models import AgreementStatus
from ceptoar.registry.forms.fields import OrganisationChoiceField
from ceptoar.registry.models import Organisation, OrganisationKind

# Who may be a party: bodies that share on their own account, never a member or a relay sub-group (they
# share through their CEPTOAR).
PARTY_KINDS = (
    OrganisationKind.HUB,
    OrganisationKind.MINISTRY,
    OrganisationKind.CEPTOAR,
    OrganisationKind.COUNCIL,
    OrganisationKind.RELATED_BODY,
)


def party_candidates() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind__in=PARTY_KINDS).order_by("kind", "code")


def organisation_field(label, **options) -> OrganisationChoiceField:
    """An organisation that may be a party, chosen by code."""
    options.setdefault("to_field_name", "code")
    options.setdefault(
        "error_messages", {"invalid_choice": _("There is no organisation with the code “%(value)s”.")}
    )
    return OrganisationChoiceField(queryset=party_candidates(), label=label, **options)


def own_organisations(user) -> QuerySet[Organisation]:
    """The organisations whose agreements `user` reads as its own: its organisation and the CEPTOARs whose
    secretariat it runs (`agreements.access.agreements_visible_to` reads the same)."""
    if not is_active_member(user):
        return Organisation.objects.none()
    return Organisation.objects.filter(pk=user.organisation_id) | ceptoars_served_by(user)


class AgreementFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *AgreementStatus.choices],
        error_messages={"invalid_choice": _("There is no status called “%(value)s”.")},
    )
    party = organisation_field(_("Party"), required=False, empty_label=_("Any party"))

    def filter(self, agreements):
        data = self.cleaned_data
        if data.get("status"):
            agreements = agreements.filter(status=data["status"])
        if data.get("party"):
            agreements = agreements.filter(parties__organisation=data["party"])
        return agreements


class DryRunForm(forms.Form):
    """Two organisations: what may flow between them now, each way."""

    first = organisation_field(_("From (A)"), empty_label=_("Choose an organisation"))
    second = organisation_field(_("To (B)"), empty_label=_("Choose an organisation"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        first, second = data.get("first"), data.get("second")
        if first and second and first.pk == second.pk:
            self.add_error("second", _("Choose an organisation other than A."))
        elif first and second and not sees_register(self.user):
            # Beyond the hub's register, a person looks only at what flows to or from its own organisation
            # (or a CEPTOAR it runs the secretariat of): the agreements between others are theirs.
            own = own_organisations(self.user).filter(pk__in=[first.pk, second.pk])
            if not own.exists():
                self.add_error(
                    "first",
                    _(
                        "One of the two must be your organisation or a CEPTOAR whose secretariat you run: "
                        "agreements between others are theirs to see."
                    ),
                )
        return data
