"""The audit page's filters, read from the query string and validated so bad input gets a clear message."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ceptoar.registry.models import Organisation
from ceptoar.sharing.models import AuditEntry, Tlp


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("User"),
        required=False,
        queryset=get_user_model().objects.all(),
        to_field_name="username",
        widget=forms.TextInput(attrs={"placeholder": _("user name")}),
        error_messages={"invalid_choice": _("There is no user called “%(value)s”.")},
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organisation.objects.all(),
        to_field_name="code",
        widget=forms.TextInput(attrs={"placeholder": _("e.g. banks-0001")}),
        error_messages={"invalid_choice": _("There is no organisation with the code “%(value)s”.")},
    )
    item_type = forms.CharField(
        label=_("Item type"),
        required=False,
        max_length=AuditEntry._meta.get_field("item_type").max_length,
        validators=[
            RegexValidator(
                r"^[a-z0-9_]+\.[a-z0-9_]+$", _("An item type looks like “alerts.alert” (application.model).")
            )
        ],
        widget=forms.TextInput(attrs={"placeholder": "alerts.alert"}),
    )
    item_id = forms.IntegerField(label=_("Item id"), required=False, min_value=1)
    tlp = forms.ChoiceField(label=_("TLP"), required=False, choices=[("", _("Any")), *Tlp.choices])
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filter(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """Apply the valid filters. Call after is_valid(). Dates are whole days in the site's time zone."""
        data = self.cleaned_data
        if data.get("user"):
            entries = entries.filter(user=data["user"])
        if data.get("organisation"):
            entries = entries.filter(organisation=data["organisation"])
        if data.get("item_type"):
            entries = entries.filter(item_type=data["item_type"])
        if data.get("item_id"):
            entries = entries.filter(item_id=data["item_id"])
        if data.get("tlp"):
            entries = entries.filter(tlp=data["tlp"])
        # Bounds as instants rather than a __date lookup, so the index on `at` is used.
        if data.get("date_from"):
            entries = entries.filter(at__gte=_start_of(data["date_from"]))
        if data.get("date_to"):
            entries = entries.filter(at__lt=_start_of(data["date_to"] + datetime.timedelta(days=1)))
        return entries


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
