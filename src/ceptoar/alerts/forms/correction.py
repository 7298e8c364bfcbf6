"""The correction form (訂正版): what changes — the words, the severity, the references — and what was
corrected. The marking, category and audience are the corrected alert's (`alerts.services.corrections`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.forms.compose import AlertForm
from ceptoar.alerts.models import CORRECTION_MARK, Alert, Severity
from ceptoar.alerts.services.corrections import unmarked

TITLE_MAX_LENGTH = Alert._meta.get_field("title").max_length - len(CORRECTION_MARK)


class CorrectionForm(forms.Form):
    correction_note = forms.CharField(
        label=_("What was corrected"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Shown first to every recipient, e.g. “The affected versions were wrong: 2.1 to 2.4, not 2.1 only.”"
        ),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX_LENGTH,
        help_text=_("Sent as “%(mark)s” followed by this title.") % {"mark": CORRECTION_MARK},
    )
    body = forms.CharField(
        label=_("Body (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("The whole corrected text: it replaces the alert's, it is not added to it."),
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    references = forms.CharField(
        label=_("References"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://"}),
        help_text=_("One http:// or https:// address per line."),
    )
    requires_approval = forms.BooleanField(
        label=_("A second person approves before publishing"), required=False
    )

    clean_references = AlertForm.clean_references

    @classmethod
    def initial_for(cls, alert: Alert) -> dict:
        return {
            "title": unmarked(alert.title),
            "body": alert.body,
            "severity": alert.severity,
            "references": "\n".join(alert.references),
            "requires_approval": alert.requires_approval,
        }
