"""The compose form: an alert's content, audience, marking, relay limits, references and attachments."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.attachments import check_attachment
from ceptoar.alerts.forms.audience import AudienceForm
from ceptoar.alerts.forms.tlp import tlp_choices
from ceptoar.alerts.models import Alert, Category, Severity
from ceptoar.sharing.models import Tlp

_URL = URLValidator(schemes=["http", "https"])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class AlertForm(AudienceForm):
    """Compose an alert. The buttons "Save draft" and "Publish" post the same form."""

    title = forms.CharField(label=_("Title"), max_length=Alert._meta.get_field("title").max_length)
    body = forms.CharField(
        label=_("Body (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Markdown: # heading, **bold**, - list, [text](https://…). HTML is shown as text."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    tlp = forms.ChoiceField(
        label=_("TLP"), choices=tlp_choices(), initial=Tlp.AMBER, widget=forms.RadioSelect
    )
    no_onward_relay = forms.BooleanField(
        label=_("No onward relay"),
        required=False,
        help_text=_("Recipients may not relay this alert any further."),
    )
    relay_needs_originator_approval = forms.BooleanField(
        label=_("Relaying needs our approval"),
        required=False,
        help_text=_("Recipients may relay it only once we approve."),
    )
    requires_approval = forms.BooleanField(
        label=_("A second person approves before publishing"),
        required=False,
        help_text=_("“Publish” then hands the alert to a colleague of your organisation, who publishes it."),
    )
    references = forms.CharField(
        label=_("References"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://"}),
        help_text=_("One http:// or https:// address per line."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    field_order = [
        "title",
        "category",
        "severity",
        "tlp",
        "body",
        *AudienceForm.AUDIENCE_FIELDS,
        "no_onward_relay",
        "relay_needs_originator_approval",
        "requires_approval",
        "references",
        "attachments",
    ]

    def clean_references(self) -> list[str]:
        references, errors = [], []
        for number, line in enumerate((self.cleaned_data.get("references") or "").splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            try:
                _URL(line)
            except ValidationError:
                errors.append(
                    _("Line %(line)d is not an http:// or https:// address: %(value)s")
                    % {"line": number, "value": line}
                )
            else:
                references.append(line)
        if errors:
            raise ValidationError(errors)
        return references

    def clean_attachments(self) -> list[tuple[str, bytes]]:
        files, errors = [], []
        for upload in self.cleaned_data.get("attachments") or []:
            content = upload.read()
            try:
                check_attachment(upload.name, content)
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                files.append((upload.name, content))
        if errors:
            raise ValidationError(errors)
        return files

    def draft_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "body": data.get("body", ""),
            "category": data["category"],
            "severity": data["severity"],
            "tlp": data["tlp"],
            "audience": self.audience_spec(),
            "no_onward_relay": data.get("no_onward_relay", False),
            "relay_needs_originator_approval": data.get("relay_needs_originator_approval", False),
            "references": data.get("references", []),
            "requires_approval": data.get("requires_approval", False),
            "attachments": data.get("attachments", []),
        }
