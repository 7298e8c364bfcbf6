"""Forms of the organiser's pages. They carry what the person typed; `exercises.services` decides what is
valid, and `show_service_errors` puts its reasons next to the field they concern."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.forms import audience as alert_forms
from ceptoar.alerts.forms.audience import AudienceForm, split_names
from ceptoar.alerts.forms.tlp import tlp_choices
from ceptoar.alerts.models import Category, Severity
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.exercises.models import TITLE_MAX_LENGTH, Exercise, ExerciseKind, Inject
from ceptoar.exercises.services import participant_spec
from ceptoar.registry.models import Organisation
from ceptoar.reports.forms import ReportDateTimeField
from ceptoar.sharing.models import Tlp

# What the services call the participants when they refuse them ("audience" when a code does not resolve).
PARTICIPANT_ERROR_KEYS = ("participants", "audience")


def show_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A ValidationError from `exercises.services` on the form: participant errors above the participant
    fields, the others on the field they name or at the top."""
    if hasattr(error, "error_dict") and isinstance(form, ExerciseForm):
        rest = {}
        for key, errors in error.message_dict.items():
            if key in PARTICIPANT_ERROR_KEYS:
                form.audience_errors.extend(errors)
            else:
                rest[key] = errors
        if not rest:
            return
        error = ValidationError(rest)
    alert_forms.show_service_errors(form, error)


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
