"""The handling-rules forms: a member's acceptance, and a secretariat's new version."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.registry.models import HandlingRules
from ceptoar.registry.services.rules_publication import RulesDraft


class AcceptRulesForm(forms.Form):
    accepted_by_name = forms.CharField(
        label=_("Your name, as it will be recorded"),
        max_length=200,
        error_messages={"required": _("Give the name of the person accepting, as it should be recorded.")},
    )
    confirm = forms.BooleanField(
        label=_("I have read this version and accept it for my organisation."),
        error_messages={"required": _("Tick the box to confirm you have read this version and accept it.")},
    )


class PublishRulesForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    change_summary = forms.CharField(
        label=_("Summary of the changes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What changed since the previous version: members read this before they accept again."),
    )
    text = forms.CharField(label=_("Text of the rules"), widget=forms.Textarea(attrs={"rows": 16}))
    enacted_on = forms.DateField(
        label=_("Takes effect on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "From this day, organisations that have not accepted this version no longer receive AMBER "
            "information. Publish ahead of the day to let them accept in time."
        ),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    highest_tlp_shared = forms.ChoiceField(
        label=_("Highest TLP shared under agreements"),
        choices=HandlingRules._meta.get_field("highest_tlp_shared").choices,
    )

    def draft(self) -> RulesDraft:
        data = self.cleaned_data
        return RulesDraft(
            title=data["title"],
            text=data["text"],
            change_summary=data.get("change_summary", ""),
            enacted_on=data["enacted_on"],
            highest_tlp_shared=data["highest_tlp_shared"],
        )
