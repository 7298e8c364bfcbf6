"""The audience picker shared by the compose and relay forms (and other areas' forms), with the list where
a service's refusal of the audience as a whole is shown."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.registry.forms.fields import ceptoar_field, subgroup_field
from ceptoar.registry.models import Sector

# Organisation codes and user names never hold spaces or commas; people paste lists with either.
_LIST_SEPARATORS = re.compile(r"[\s,、，;]+")


def split_names(text: str) -> list[str]:
    return [name for name in _LIST_SEPARATORS.split(text or "") if name]


class AudienceForm(forms.Form):
    """The audience picker, shared by the compose and relay forms."""

    community = forms.BooleanField(
        label=_("The whole community"),
        required=False,
        help_text=_("Every organisation on the platform. Only for information everyone needs."),
    )
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"),
        required=False,
        queryset=Sector.objects.all(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every organisation of the sector, and the members of its CEPTOARs."),
        error_messages={"invalid_choice": _("There is no sector with the code “%(value)s”.")},
    )
    ceptoars = ceptoar_field(
        multiple=True,
        label=_("CEPTOARs"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The CEPTOAR, its sub-groups and relay hubs, and all its members."),
    )
    subgroups = subgroup_field(
        multiple=True,
        label=_("Sub-groups and relay hubs"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The sub-group or relay hub and the members it relays to."),
    )
    organisations = forms.CharField(
        label=_("Organisations (codes)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "banks-0001, banks-0002"}),
        help_text=_(
            "Organisation codes, separated by commas or new lines. A council's code (alone) posts to the "
            "council: it reaches every CEPTOAR seated on it."
        ),
    )
    people = forms.CharField(
        label=_("Named people (user names)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "demo-member"}),
        help_text=_("User names, separated by commas or new lines. TLP:RED goes to named people only."),
    )

    AUDIENCE_FIELDS = ("community", "sectors", "ceptoars", "subgroups", "organisations", "people")
    # The keys under which the services refuse the audience as a whole (shown in `audience_errors`).
    AUDIENCE_ERROR_KEYS = ("audience",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Errors the services report on the audience as a whole, shown above the audience fields.
        self.audience_errors: list[str] = []

    @property
    def refused_elsewhere(self) -> dict[str, list[str]]:
        """Where `show_refusal` puts the services' errors on the audience: above the audience fields."""
        return dict.fromkeys(self.AUDIENCE_ERROR_KEYS, self.audience_errors)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.audience_errors)

    def audience_fields(self):
        return [self[name] for name in self.AUDIENCE_FIELDS]

    def other_fields(self):
        return [field for field in self if field.name not in self.AUDIENCE_FIELDS]

    def audience_spec(self) -> AudienceSpec:
        data = self.cleaned_data
        return AudienceSpec(
            community=bool(data.get("community")),
            sectors=[sector.code for sector in data.get("sectors") or []],
            ceptoars=[ceptoar.code for ceptoar in data.get("ceptoars") or []],
            subgroups=[subgroup.code for subgroup in data.get("subgroups") or []],
            organisations=split_names(data.get("organisations", "")),
            people=split_names(data.get("people", "")),
        )

    @staticmethod
    def initial_from_spec(spec: AudienceSpec) -> dict:
        return {
            "community": spec.community,
            "sectors": spec.sectors,
            "ceptoars": spec.ceptoars,
            "subgroups": spec.subgroups,
            "organisations": "\n".join(spec.organisations),
            "people": "\n".join(spec.people),
        }

    @staticmethod
    def hidden_from_spec(spec: AudienceSpec) -> list[tuple[str, str]]:
        """The audience as the (name, value) pairs of hidden fields: a preview page carries the audience it
        was drawn for to its confirmation (`templates/alerts/send_preview.html`, `hidden_fields`)."""
        pairs = [("community", "on")] if spec.community else []
        for name in ("sectors", "ceptoars", "subgroups"):
            pairs += [(name, code) for code in getattr(spec, name)]
        return [*pairs, ("organisations", "\n".join(spec.organisations)), ("people", "\n".join(spec.people))]
