"""Forms of the situation-summary pages. They carry what the person typed; `services` decides what is
valid, and `utilities.refusals.show_refusal` puts its reasons next to the field concerned."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.forms.audience import AudienceForm
from ceptoar.alerts.forms.tlp import tlp_choices
from ceptoar.analysis.models import TITLE_MAX_LENGTH
from ceptoar.analysis.services import SUMMARY_TLPS
from ceptoar.sharing.models import Tlp


def _summary_tlp_choices():
    return [(value, label) for value, label in tlp_choices() if value in SUMMARY_TLPS]


class SummaryForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX_LENGTH,
        help_text=_("Published as “【情勢判断】” followed by this title."),
    )
    body = forms.CharField(
        label=_("Situation summary (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Markdown: # heading, **bold**, - list, [text](https://…). HTML is shown as text."),
    )
    tlp = forms.ChoiceField(
        label=_("TLP"),
        choices=_summary_tlp_choices,
        initial=Tlp.AMBER,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": _(
                "A situation summary goes to organisations: choose TLP:CLEAR, GREEN, AMBER or AMBER+STRICT."
            )
        },
    )

    def summary_fields(self) -> dict:
        data = self.cleaned_data
        return {"title": data["title"], "body": data["body"], "tlp": data["tlp"]}


class PublishSummaryForm(SummaryForm, AudienceForm):
    """The edit form with the audience picker: “Publish as alert” saves the edits and publishes them."""

    field_order = ["title", "tlp", "body", *AudienceForm.AUDIENCE_FIELDS]
