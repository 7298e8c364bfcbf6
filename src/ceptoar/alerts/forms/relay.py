"""The relay form: a note, the audience (narrowed at most) and the marking (raised at most)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.forms.audience import AudienceForm
from ceptoar.alerts.forms.tlp import tlp_choices
from ceptoar.alerts.models import Alert


class RelayForm(AudienceForm):
    """Relay an alert in one's own name: a note, the audience (narrowed at most), the marking (raised at most)."""

    note = forms.CharField(
        label=_("Note to your recipients"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown above the alert, e.g. what your members should do first."),
    )
    tlp = forms.ChoiceField(
        label=_("TLP"),
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": _("A relay may keep the marking or raise it, never lower it."),
        },
    )

    field_order = ["note", "tlp", *AudienceForm.AUDIENCE_FIELDS]

    def __init__(self, *args, parent: Alert, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tlp"].choices = tlp_choices(parent.tlp)
        self.fields["tlp"].initial = parent.tlp
