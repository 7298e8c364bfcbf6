"""Forms of the failure-case pages: review, approval and the library's search. They carry what the person
typed; `services.cases` and `services.redactions` decide what is valid, and their errors go onto the field
they concern (`utilities.refusals.show_refusal`)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.forms.tlp import tlp_choices
from ceptoar.registry.models import Sector
from ceptoar.reports import cases
from ceptoar.reports.models import Case, Cause, CauseClass, EventType, Redaction
from ceptoar.search import text as search_text
from ceptoar.sharing.models import Tlp

AUDIENCE_LABELS = {
    cases.AUDIENCE_MEMBERS: _("The members of this CEPTOAR"),
    cases.AUDIENCE_SECTOR: _(
        "The whole sector of this CEPTOAR (its organisations and the members of its CEPTOARs)"
    ),
    cases.AUDIENCE_COMMUNITY: _("The whole community (every organisation on the platform)"),
}


class CaseEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=Case._meta.get_field("title").max_length)
    lessons = forms.CharField(
        label=_("Lessons and advice"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What other members can learn from this case, and what they should check."),
    )
    tlp = forms.ChoiceField(
        label=_("TLP"),
        choices=[choice for choice in tlp_choices() if choice[0] != Tlp.RED],
        widget=forms.RadioSelect,
    )
    audience = forms.ChoiceField(
        label=_("Who may read it once published"),
        choices=list(AUDIENCE_LABELS.items()),
        widget=forms.RadioSelect,
    )

    @classmethod
    def for_case(cls, case: Case, data=None) -> CaseEditForm:
        return cls(
            data,
            initial={
                "title": case.title,
                "lessons": case.lessons,
                "tlp": case.tlp,
                "audience": cases.audience_choice_of(case),
            },
        )


class ManualRedactionForm(forms.Form):
    phrase = forms.CharField(
        label=_("Replace every occurrence of"),
        strip=False,
        max_length=500,
        help_text=_("Exactly as written in the original (select it on the left to copy it here)."),
    )
    replacement = forms.CharField(
        label=_("with"),
        max_length=Redaction._meta.get_field("replacement").max_length,
    )


class RequestChangesForm(forms.Form):
    note = forms.CharField(
        label=_("What should change"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The secretariat sees this note with the case."),
        error_messages={"required": _("Say what should change, so the secretariat can act on it.")},
    )


def _cause_choices() -> list:
    classes = [(f"class:{value}", label) for value, label in CauseClass.choices]
    by_class: dict[str, list] = {}
    for value, label in Cause.choices:
        by_class.setdefault(Cause.class_of(value), []).append((value, label))
    grouped = [(label, by_class.get(value, [])) for value, label in CauseClass.choices]
    return [("", _("Any cause")), (_("Cause class"), classes), *grouped]


class MonthField(forms.DateField):
    """A month as YYYY-MM (the browser's month picker), as the first day of that month."""

    widget = forms.DateInput(attrs={"type": "month"})
    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, for example 2024-04.")}


class LibraryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    sector = forms.ModelChoiceField(
        label=_("Sector"),
        required=False,
        queryset=Sector.objects.all(),
        to_field_name="code",
        empty_label=_("Any sector"),
        error_messages={"invalid_choice": _("There is no sector with that code.")},
    )
    event_type = forms.ChoiceField(
        label=_("Event type"), required=False, choices=[("", _("Any event type")), *EventType.choices]
    )
    cause = forms.ChoiceField(label=_("Cause"), required=False, choices=_cause_choices)
    occurred_from = MonthField(label=_("Occurred from (month)"), required=False)
    occurred_to = MonthField(label=_("Occurred to (month)"), required=False)

    def clean_q(self) -> str:
        query = self.cleaned_data.get("q", "").strip()
        if query and not search_text.is_searchable(query):
            try:
                search_text.parse_query(query)
            except ValueError as error:
                raise ValidationError(str(error)) from error
        return query

    def clean(self):
        data = super().clean()
        start, end = data.get("occurred_from"), data.get("occurred_to")
        if start and end and end < start:
            self.add_error("occurred_to", _("The end month is before the start month."))
        return data

    def filter(self, queryset):
        data = self.cleaned_data
        if data.get("sector"):
            queryset = queryset.filter(sector=data["sector"])
        if data.get("event_type"):
            queryset = queryset.filter(event_type=data["event_type"])
        cause = data.get("cause")
        if cause:
            if cause.startswith("class:"):
                prefix = cause.removeprefix("class:") + "."
                codes = [value for value in Cause.values if value.startswith(prefix)]
            else:
                codes = [cause]
            queryset = queryset.filter(pk__in=_cases_with_any_cause(queryset.model, codes))
        if data.get("occurred_from"):
            queryset = queryset.filter(occurred_on__gte=data["occurred_from"])
        if data.get("occurred_to"):
            end = data["occurred_to"]
            next_month = (
                end.replace(year=end.year + 1, month=1)
                if end.month == 12
                else end.replace(month=end.month + 1)
            )
            queryset = queryset.filter(occurred_on__lt=next_month)
        if data.get("q"):
            from ceptoar.search.services import matching_ids

            queryset = queryset.filter(pk__in=matching_ids(cases.SEARCH_KIND, data["q"]))
        return queryset


def _cases_with_any_cause(model, codes: list[str]):
    """Cases whose `causes` JSON list holds one of `codes`. JSON containment differs between SQLite and
    PostgreSQL; the list is short and its codes never contain quotes, so a text match on the serialised list
    (with the quotes) is exact on both."""
    from django.db.models import Q

    condition = Q(pk__in=[])
    for code in codes:
        condition |= Q(causes__icontains=f'"{code}"')
    return model.objects.filter(condition).values("pk")
