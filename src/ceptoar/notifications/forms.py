from __future__ import annotations

from django import forms

from ceptoar.notifications.models import Event, MailChoice


class PreferencesForm(forms.Form):
    """One choice per kind of event: how it comes by e-mail (the portal always lists it)."""

    def __init__(self, *args, current: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for event in Event:
            self.fields[event.value] = forms.ChoiceField(
                label=event.label,
                choices=MailChoice.choices,
                initial=current[event.value],
                widget=forms.RadioSelect,
            )
