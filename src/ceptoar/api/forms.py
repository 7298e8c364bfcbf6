from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.api.models import ApiToken, ApiTokenScope


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=_("What the token is for, e.g. “SOC ticket system”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scope = forms.ChoiceField(
        label=_("What the token may do"),
        choices=ApiTokenScope.choices,
        initial=ApiTokenScope.READ_ACKNOWLEDGE,
        # A form sent without the choice (a script, an old page) gets what every token could do before.
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "A tool that only reads alerts (a dashboard, a mail filter) should get a token that cannot "
            "confirm receipt in your organisation's name."
        ),
    )
    expires_on = forms.DateField(
        label=_("Last day of use"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "The token works until the end of this day (Japan time), then every call with it is refused. "
            "Leave it empty for a token that does not expire."
        ),
    )

    def clean_scope(self) -> str:
        return self.cleaned_data.get("scope") or ApiTokenScope.READ_ACKNOWLEDGE
