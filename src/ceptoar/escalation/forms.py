from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ceptoar.escalation.models import CallOutcome, EscalationPlan


class CallForm(forms.Form):
    channel = forms.TypedChoiceField(label=_("Number called"), coerce=int, required=False, empty_value=None)
    number = forms.CharField(label=_("Other number"), max_length=100, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, phone_channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("(another number, typed below)"))] + [
            (channel.pk, f"{channel.value} — {channel.contact.name}") for channel in phone_channels
        ]

    def clean(self):
        data = super().clean()
        if not data.get("channel") and not (data.get("number") or "").strip():
            raise ValidationError(_("Choose the number you called, or type it."))
        return data


class PlanForm(forms.ModelForm):
    """The plan in minutes, as people think of it; stored as durations."""

    backup_after_min = forms.IntegerField(label=_("Backup contacts after (minutes, T1)"), min_value=1)
    head_after_min = forms.IntegerField(label=_("The head after (minutes, T2)"), min_value=1)
    call_list_after_min = forms.IntegerField(label=_("Onto the call list after (minutes, T3)"), min_value=1)

    class Meta:
        model = EscalationPlan
        fields: list[str] = []

    def __init__(self, *args, initial_times: dict[str, timedelta], **kwargs):
        super().__init__(*args, **kwargs)
        for name, value in initial_times.items():
            self.fields[f"{name}_min"].initial = int(value.total_seconds() // 60)

    def clean(self):
        data = super().clean()
        for name in ("backup_after", "head_after", "call_list_after"):
            minutes = data.get(f"{name}_min")
            setattr(self.instance, name, timedelta(minutes=minutes) if minutes else None)
        self.instance.clean()
        return data
