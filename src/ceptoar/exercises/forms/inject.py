"""The form of one inject (状況付与), the message an exercise sends."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.forms.tlp import tlp_choices
from ceptoar.alerts.models import Category, Severity
from ceptoar.exercises.forms.exercise import ExerciseDateTimeField
from ceptoar.exercises.models import TITLE_MAX_LENGTH, Inject
from ceptoar.sharing.models import Tlp


class InjectForm(forms.Form):
    """One scheduled exercise message (状況付与). It goes out as an alert marked 【訓練/EXERCISE】."""

    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX_LENGTH,
        help_text=_("The exercise mark is put in front of it when it is sent."),
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=Category.choices, initial=Inject._meta.get_field("category").default
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Inject._meta.get_field("severity").default
    )
    # TLP:RED goes to named people only, and an exercise names organisations.
    tlp = forms.ChoiceField(
        label=_("TLP"),
        choices=[choice for choice in tlp_choices() if choice[0] != Tlp.RED],
        initial=Inject._meta.get_field("tlp").default,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Body (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown: # heading, **bold**, - list, [text](https://…). HTML is shown as text."),
    )
    scheduled_at = ExerciseDateTimeField(
        label=_("Send at (Japan time)"),
        help_text=_("Within the exercise's time window. The organiser may also send it earlier by hand."),
    )

    def inject_fields(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name, "") for name in ("title", "body", "category", "severity", "tlp")} | {
            "scheduled_at": data["scheduled_at"]
        }

    @staticmethod
    def initial_from(inject: Inject) -> dict:
        return {
            "title": inject.title,
            "body": inject.body,
            "category": inject.category,
            "severity": inject.severity,
            "tlp": inject.tlp,
            "scheduled_at": inject.scheduled_at,
        }
