"""The one way a form offers CEPTOARs and sub-groups to choose from: by name, a sub-group with its parent;
`ceptoar_field` and `subgroup_field` also bring the list, chosen by code, and the error for a code that is not
on it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.registry.models import Organisation, OrganisationKind


def organisation_label(obj: Organisation) -> str:
    # Two CEPTOARs may name their sub-groups alike; the parent tells them apart.
    return f"{obj.parent.display_name} / {obj.display_name}" if obj.parent_id else obj.display_name


class OrganisationChoiceField(forms.ModelChoiceField):
    """One CEPTOAR, sub-group or relay hub, labelled by `organisation_label`."""

    def label_from_instance(self, obj: Organisation) -> str:
        return organisation_label(obj)


class OrganisationMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several CEPTOARs, sub-groups or relay hubs, labelled by `organisation_label`."""

    def label_from_instance(self, obj: Organisation) -> str:
        return organisation_label(obj)


def _by_code(multiple: bool, queryset, invalid, options: dict) -> forms.ModelChoiceField:
    field = OrganisationMultipleChoiceField if multiple else OrganisationChoiceField
    options.setdefault("to_field_name", "code")
    options.setdefault("error_messages", {"invalid_choice": invalid})
    return field(queryset=queryset, **options)


def ceptoar_field(*, multiple: bool = False, **options) -> forms.ModelChoiceField:
    """The CEPTOARs, in the map's order, chosen by code (a filter's query string, the audience picker)."""
    return _by_code(
        multiple,
        Organisation.objects.ceptoars().order_by("ceptoar_profile__map_position", "code"),
        _("There is no CEPTOAR with the code “%(value)s”."),
        options,
    )


def subgroup_field(*, multiple: bool = False, **options) -> forms.ModelChoiceField:
    """The sub-groups and relay hubs, by parent, chosen by code."""
    return _by_code(
        multiple,
        Organisation.objects.of_kind(OrganisationKind.SUBGROUP)
        .select_related("parent")
        .order_by("parent__code", "pk"),
        _("There is no sub-group or relay hub with the code “%(value)s”."),
        options,
    )
