"""Forms of the analysis-partner pages: the secretariat's forward of a report, the partner's analysis, and
the secretariat's sharing of it with its members. They turn what was typed into values; the services
(`reports.services.analysis`) decide what may be done, and their refusals come back on these fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.forms.compose import MultipleFileField
from ceptoar.alerts.models import Severity
from ceptoar.reports.partners import ANALYSIS_TLPS, PartnerOption
from ceptoar.reports.services.analysis import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH, TITLE_MAX_LENGTH
from ceptoar.sharing.models import Tlp

TLP_CHOICES = [(value, Tlp(value).label) for value in ANALYSIS_TLPS]


class ForwardForm(forms.Form):
    partner = forms.TypedChoiceField(
        label=_("Analysis partner"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": _("Choose one of the partners whose agreement covers this report.")
        },
    )
    tlp = forms.ChoiceField(label=_("TLP"), choices=TLP_CHOICES, initial=Tlp.AMBER)
    note = forms.CharField(
        label=_("Note to the partner (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you would like analysed. The partner reads it with the report."),
    )

    def __init__(self, *args, options: list[PartnerOption], **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        self.fields["partner"].choices = [
            (option.organisation.pk, option.organisation.name)
            for option in options
            if not option.already_forwarded
        ]


class AnalysisForm(forms.Form):
    forwards = forms.TypedMultipleChoiceField(
        label=_("Reports analysed"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose among the reports forwarded to you.")},
    )
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    text = forms.CharField(
        label=_("Analysis"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "Returned to the CEPTOAR's secretariat, which may share it with its members as an alert "
            "(分析結果), reworded if it sees fit."
        ),
    )
    tlp = forms.ChoiceField(label=_("TLP"), choices=TLP_CHOICES, initial=Tlp.AMBER)
    attachments = MultipleFileField(
        label=_("Attach files"), required=False, help_text=_("Executable files cannot be attached.")
    )

    def __init__(self, *args, forwards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forwards"].choices = [
            (forward.pk, f"{forward.report.reference} {forward.version.title}") for forward in forwards
        ]


class ShareForm(forms.Form):
    title = forms.CharField(label=_("Title (after 【分析結果】)"), max_length=TITLE_MAX_LENGTH)
    body = forms.CharField(label=_("Text for the members"), widget=forms.Textarea(attrs={"rows": 12}))
    tlp = forms.ChoiceField(
        label=_("TLP"),
        choices=TLP_CHOICES,
        help_text=_("The partner's marking or higher, never lower."),
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
