"""The one way a form offers CEPTOARs and sub-groups to choose from: by name, a sub-group with its parent."""

from __future__ import annotations

from django import forms

from ceptoar.registry.models import Organisation


def organisation_label(obj: Organisation) -> str:
    # Two CEPTOARs may name their sub-groups alike; the parent tells them apart.
    return f"{obj.parent} / {obj.name}" if obj.parent_id else obj.name


class OrganisationChoiceField(forms.ModelChoiceField):
    """One CEPTOAR, sub-group or relay hub, labelled by `organisation_label`."""

    def label_from_instance(self, obj: Organisation) -> str:
        return organisation_label(obj)


class OrganisationMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several CEPTOARs, sub-groups or relay hubs, labelled by `organisation_label`."""

    def label_from_instance(self, obj: Organisation) -> str:
        return organisation_label(obj)
