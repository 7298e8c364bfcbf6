"""The form of the exercise's plan (what, when, who takes part) and its date and time field; the services'
refusal of the participants is shown above the participant fields."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.forms.audience import AudienceForm, split_names
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.exercises.models import Exercise, ExerciseKind
from ceptoar.exercises.participants import participant_spec
from ceptoar.registry.models import Organisation
from ceptoar.reports.forms.reports import ReportDateTimeField


class ExerciseDateTimeField(ReportDateTimeField):
    """A date and time in Japan time, like every time typed into the platform."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)


class ExerciseForm(AudienceForm):
    """Plan an exercise: what, when, and who takes part (by sector, CEPTOAR or organisation)."""

    # An exercise names its participants as organisations; the community, sub-groups and named people are
    # what an alert may add, not who takes part in a drill.
    community = None
    subgroups = None
    people = None
    # What the services call the participants when they refuse them ("audience" when a code does not resolve).
    AUDIENCE_ERROR_KEYS = ("participants", "audience")

    name = forms.CharField(label=_("Name"), max_length=Exercise._meta.get_field("name").max_length)
    kind = forms.ChoiceField(label=_("Kind"), choices=ExerciseKind.choices, widget=forms.RadioSelect)
    description = forms.CharField(
        label=_("Purpose and scenario"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the exercise tests and the situation it plays out. Participants do not see it."),
    )
    starts_at = ExerciseDateTimeField(label=_("Starts at (Japan time)"))
    ends_at = ExerciseDateTimeField(
        label=_("Ends at (Japan time)"),
        help_text=_("When the exercise ends, the final figures are kept and escalation stops."),
    )

    AUDIENCE_FIELDS = ("sectors", "ceptoars", "organisations")
    field_order = ["name", "kind", "description", "starts_at", "ends_at", *AUDIENCE_FIELDS]
    # A new exercise's window is offered as from now for two hours: the usual length of a drill.
    DEFAULT_LENGTH = timedelta(hours=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and "starts_at" not in self.initial:
            # To the minute, as the field shows it (converted to Japan time by the field).
            now = timezone.now().replace(second=0, microsecond=0)
            self.initial["starts_at"] = now
            self.initial["ends_at"] = now + self.DEFAULT_LENGTH
        self.fields["organisations"].help_text = _(
            "Organisation codes, separated by commas or new lines, e.g. the few members of a small drill."
        )

    def clean_organisations(self) -> str:
        text = self.cleaned_data.get("organisations", "")
        codes = list(dict.fromkeys(split_names(text)))
        known = set(Organisation.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise ValidationError(
                _("There is no organisation with the code: %(codes)s"), params={"codes": ", ".join(unknown)}
            )
        return text

    def exercise_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kind": data["kind"],
            "description": data.get("description", ""),
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "participants": self.audience_spec(),
        }

    @classmethod
    def initial_from(cls, exercise: Exercise) -> dict:
        spec: AudienceSpec = participant_spec(exercise)
        return {
            "name": exercise.name,
            "kind": exercise.kind,
            "description": exercise.description,
            "starts_at": exercise.starts_at,
            "ends_at": exercise.ends_at,
            **cls.initial_from_spec(spec),
        }
