"""The inbox filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.models import Category, Status
from ceptoar.alerts.services import acknowledgements
from ceptoar.sharing import policy
from ceptoar.sharing.models import Tlp


class AlertFilterForm(forms.Form):
    """The inbox filters, all optional, read from the query string."""

    q = forms.CharField(
        label=_("Title contains"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Category.choices],
        error_messages={"invalid_choice": _("There is no category called “%(value)s”.")},
    )
    tlp = forms.ChoiceField(
        label=_("TLP"),
        required=False,
        choices=[("", _("Any")), *Tlp.choices],
        error_messages={"invalid_choice": _("There is no TLP marking called “%(value)s”.")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *Status.choices],
        error_messages={"invalid_choice": _("There is no status called “%(value)s”.")},
    )
    ours = forms.BooleanField(label=_("Sent by us"), required=False)
    unacknowledged = forms.BooleanField(label=_("Not yet acknowledged"), required=False)
    unrelayed = forms.BooleanField(label=_("Not yet relayed by us"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only an organisation that passes alerts on is asked to relay: no one else is offered the filter.
        if user is None or not acknowledgements.relays_down_the_chain(user):
            del self.fields["unrelayed"]

    def filter(self, alerts, user):
        """Apply the valid filters to `alerts` (already narrowed by the policy). Call after is_valid()."""
        data = self.cleaned_data
        # Title and category are content: an envelope (policy.ENVELOPE_TLPS) never matches a search on
        # them, or the search would tell what it holds.
        if data.get("q"):
            alerts = alerts.filter(policy.alert_content_condition(user), title__icontains=data["q"].strip())
        if data.get("category"):
            alerts = alerts.filter(policy.alert_content_condition(user), category=data["category"])
        for name in ("tlp", "status"):
            if data.get(name):
                alerts = alerts.filter(**{name: data[name]})
        if data.get("ours"):
            alerts = alerts.filter(origin_organisation_id=user.organisation_id)
        if data.get("unacknowledged"):
            alerts = alerts.filter(acknowledgements.awaiting_acknowledgement_in_chain(user))
        if data.get("unrelayed"):
            alerts = acknowledgements.awaiting_relay(user, alerts)
        return alerts
