"""Forms of the alert pages. They carry what the person typed; `services` decides what is valid, and
`show_service_errors` puts its reasons next to the field they concern."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.attachments import check_attachment
from ceptoar.alerts.models import Alert, Category, RelayRule, Severity, Status
from ceptoar.alerts.services import AudienceSpec
from ceptoar.registry.models import Organisation, OrganisationKind, Sector
from ceptoar.sharing import policy
from ceptoar.sharing.models import TLP_RANK, Tlp

# What each marking lets a recipient do (FIRST TLP 2.0), in one line for the person choosing it.
TLP_EXPLANATIONS = {
    Tlp.CLEAR: _("No limit on disclosure: may be shared publicly."),
    Tlp.GREEN: _("May be shared within the community, but not through public channels."),
    Tlp.AMBER: _("Only within the recipient's organisation and its clients, on a need-to-know basis."),
    Tlp.AMBER_STRICT: _("Only within the recipient's organisation, on a need-to-know basis."),
    Tlp.RED: _("For the named recipients only: no further disclosure."),
}

# Organisation codes and user names never hold spaces or commas; people paste lists with either.
_LIST_SEPARATORS = re.compile(r"[\s,、，;]+")
_URL = URLValidator(schemes=["http", "https"])

# Who relays a hub alert on: the kinds of organisation a relay rule can listen to.
RELAY_SOURCE_KINDS = [
    (OrganisationKind.HUB, OrganisationKind.HUB.label),
    (OrganisationKind.MINISTRY, OrganisationKind.MINISTRY.label),
    (OrganisationKind.CEPTOAR, OrganisationKind.CEPTOAR.label),
]


def split_names(text: str) -> list[str]:
    return [name for name in _LIST_SEPARATORS.split(text or "") if name]


def _tlp_label(value: str, label: str):
    return format_html('<span class="tlp tlp-{}">{}</span> {}', value, label, TLP_EXPLANATIONS[value])


def tlp_choices(minimum: str | None = None) -> list[tuple[str, object]]:
    """TLP levels as radio choices with their explanation, from `minimum` up (a relay may only raise)."""
    floor = TLP_RANK[Tlp(minimum)] if minimum else 0
    return [
        (value, lazy(_tlp_label, SafeString)(value, label))
        for value, label in Tlp.choices
        if TLP_RANK[Tlp(value)] >= floor
    ]


def show_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a ValidationError from `services` on the form: on the field it names where the form has it,
    with the audience fields when it concerns the audience, at the top otherwise."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for key, errors in error.message_dict.items():
        for message in errors:
            if key in form.fields:
                form.add_error(key, message)
            elif key == "audience" and isinstance(form, AudienceForm):
                form.audience_errors.append(message)
            else:
                # NON_FIELD_ERRORS, or a field this form does not show ("status", "parent").
                form.add_error(None, message)


class SubgroupMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        # Two CEPTOARs may name their sub-groups alike; the parent tells them apart.
        return f"{obj.parent} / {obj.name}" if obj.parent_id else obj.name


class CeptoarMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name


class AudienceForm(forms.Form):
    """The audience picker, shared by the compose and relay forms."""

    community = forms.BooleanField(
        label=_("The whole community"),
        required=False,
        help_text=_("Every organisation on the platform. Only for information everyone needs."),
    )
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"),
        required=False,
        queryset=Sector.objects.all(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every organisation of the sector, and the members of its CEPTOARs."),
        error_messages={"invalid_choice": _("There is no sector with the code “%(value)s”.")},
    )
    ceptoars = CeptoarMultipleChoiceField(
        label=_("CEPTOARs"),
        required=False,
        queryset=Organisation.objects.ceptoars().order_by("ceptoar_profile__map_position", "code"),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The CEPTOAR, its sub-groups and relay hubs, and all its members."),
        error_messages={"invalid_choice": _("There is no CEPTOAR with the code “%(value)s”.")},
    )
    subgroups = SubgroupMultipleChoiceField(
        label=_("Sub-groups and relay hubs"),
        required=False,
        queryset=Organisation.objects.of_kind(OrganisationKind.SUBGROUP)
        .select_related("parent")
        .order_by("parent__code", "pk"),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The sub-group or relay hub and the members it relays to."),
        error_messages={"invalid_choice": _("There is no sub-group or relay hub with the code “%(value)s”.")},
    )
    organisations = forms.CharField(
        label=_("Organisations (codes)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "banks-0001, banks-0002"}),
        help_text=_("Organisation codes, separated by commas or new lines."),
    )
    people = forms.CharField(
        label=_("Named people (user names)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "demo-member"}),
        help_text=_("User names, separated by commas or new lines. TLP:RED goes to named people only."),
    )

    AUDIENCE_FIELDS = ("community", "sectors", "ceptoars", "subgroups", "organisations", "people")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Errors the services report on the audience as a whole, shown above the audience fields.
        self.audience_errors: list[str] = []

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.audience_errors)

    def audience_fields(self):
        return [self[name] for name in self.AUDIENCE_FIELDS]

    def other_fields(self):
        return [field for field in self if field.name not in self.AUDIENCE_FIELDS]

    def audience_spec(self) -> AudienceSpec:
        data = self.cleaned_data
        return AudienceSpec(
            community=bool(data.get("community")),
            sectors=[sector.code for sector in data.get("sectors") or []],
            ceptoars=[ceptoar.code for ceptoar in data.get("ceptoars") or []],
            subgroups=[subgroup.code for subgroup in data.get("subgroups") or []],
            organisations=split_names(data.get("organisations", "")),
            people=split_names(data.get("people", "")),
        )

    @staticmethod
    def initial_from_spec(spec: AudienceSpec) -> dict:
        return {
            "community": spec.community,
            "sectors": spec.sectors,
            "ceptoars": spec.ceptoars,
            "subgroups": spec.subgroups,
            "organisations": "\n".join(spec.organisations),
            "people": "\n".join(spec.people),
        }


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
        return alerts


class RelayRuleForm(forms.ModelForm):
    from_organisation_kinds = forms.MultipleChoiceField(
        label=_("Relay alerts from"),
        choices=RELAY_SOURCE_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for alerts from anyone above you."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for every category."),
    )

    class Meta:
        model = RelayRule
        fields = ["from_organisation_kinds", "categories", "minimum_severity", "note"]
        labels = {"minimum_severity": _("Minimum severity"), "note": _("Note added to each relay")}
