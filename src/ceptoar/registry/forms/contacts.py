"""Forms for keeping an organisation's points of contact on the site.

They only carry what the person typed; `services.contacts.save_contact` decides what is valid, and
`show_refusal` puts its reasons next to the field or channel row they concern.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ceptoar.registry.models import ChannelKind, Contact
from ceptoar.registry.services.contacts import CONTACT_FIELDS, ChannelInput, ContactChangeRefused
from ceptoar.utilities import refusals

# Blank rows offered under the existing channels; a contact rarely has more than five.
BLANK_CHANNEL_ROWS = 3


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = list(CONTACT_FIELDS)
        widgets = {"position": forms.NumberInput(attrs={"min": 0, "class": "short"})}
        help_texts = {
            "position": _("Contacts are called in this order: lower numbers first."),
            "hours_note": _("For example: weekdays 9:00–17:30."),
        }

    def contact_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in CONTACT_FIELDS}


class ChannelForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", "—"), *ChannelKind.choices])
    value = forms.CharField(
        label=_("Address or number"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": "wide"}),
    )
    in_house = forms.BooleanField(
        label=_("In-house service"),
        required=False,
        help_text=_(
            "Run by the organisation itself, not a third-party service: chat messages may show titles."
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("value") and not data.get("kind"):
            self.add_error("kind", _("Choose the kind of channel."))
        return data

    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("kind") or self.cleaned_data.get("value"))


class BaseChannelFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._submitted: list[ChannelForm] = []

    def channels(self) -> list[ChannelInput]:
        """The channels to keep, in the order the person gave (call after is_valid())."""
        # ordered_forms leaves out removed rows and untouched blank rows; a row emptied by hand counts as removed.
        self._submitted = [form for form in self.ordered_forms if not form.is_blank()]
        return [
            ChannelInput(
                kind=f.cleaned_data["kind"],
                value=f.cleaned_data["value"],
                pk=f.cleaned_data.get("id"),
                in_house=bool(f.cleaned_data.get("in_house")),
            )
            for f in self._submitted
        ]

    def show_channel_errors(self, errors: dict[int, dict[str, list[str]]]) -> None:
        for index, by_field in errors.items():
            form = self._submitted[index]
            for field, messages in by_field.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)


ChannelFormSet = forms.formset_factory(
    ChannelForm,
    formset=BaseChannelFormSet,
    extra=BLANK_CHANNEL_ROWS,
    can_order=True,
    can_delete=True,
    can_delete_extra=False,
)


def channel_initial(contact: Contact | None) -> list[dict]:
    if contact is None:
        return []
    return [
        {"id": c.pk, "kind": c.kind, "value": c.value, "in_house": c.in_house}
        for c in contact.channels.order_by("position", "id")
    ]


def show_refusal(form: ContactForm, formset: BaseChannelFormSet, refusal: ContactChangeRefused) -> None:
    """Put the service's reasons on the form: by field, on the channel rows, above the channels, at the top.
    Only the channel rows and their list are the contact form's own; the rest goes the one way
    (`utilities.refusals`)."""
    refusals.show_refusal(form, ValidationError(refusal.field_errors))
    formset.show_channel_errors(refusal.channel_errors)
    # A formset has no add_error for its own errors; extend the list that non_form_errors() returns.
    if refusal.channel_list_errors:
        formset.non_form_errors().extend(refusal.channel_list_errors)
    refusals.show_refusal(form, ValidationError(refusal.general_errors))
