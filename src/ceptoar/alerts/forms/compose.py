"""The compose form: an alert's content, audience, marking, relay limits, references and attachments."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from ceptoar.agreements import flows
from ceptoar.agreements.models import FlowKind
from ceptoar.alerts.attachments import check_attachment
from ceptoar.alerts.forms.audience import AudienceForm
from ceptoar.alerts.forms.tlp import tlp_choices
from ceptoar.alerts.models import Alert, Category, Severity
from ceptoar.registry.models import Organisation, OrganisationKind
from ceptoar.sharing.models import TLP_RANK, Tlp

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

    def __init__(self, *args, sender: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # What the agreements in force let this sender send beyond its own chain, one line per receiver.
        self.agreement_terms: list[str] = []
        self.agreement_terms_note = ""
        self.agreed: dict[int, flows.Flow] = {}
        self.sender = sender
        if sender is not None and sender.kind in flows.LATERAL_SENDER_KINDS:
            self._offer_agreed_receivers(sender)

    def _offer_agreed_receivers(self, sender: Organisation) -> None:
        """A CEPTOAR, council or related body is offered its own CEPTOAR and the CEPTOARs (and their
        sub-groups) that an agreement in force lets it send alerts to; the terms are said beside them."""
        agreed = self.agreed = {
            receiver: flow
            for receiver, flow in flows.flows_from(sender.pk).items()
            if FlowKind.ALERT in flow.kinds
        }
        if sender.kind == OrganisationKind.RELATED_BODY:
            # No members of its own: every alert it sends goes under an agreement, so the markings offered are
            # those some agreement allows, and no more.
            highest = max(
                (flow.highest_tlp for flow in agreed.values()), key=TLP_RANK.__getitem__, default=None
            )
            if highest is not None:
                self.fields["tlp"].choices = tlp_choices(maximum=highest)
                if TLP_RANK[Tlp(self.fields["tlp"].initial)] > TLP_RANK[Tlp(highest)]:
                    self.fields["tlp"].initial = highest
        offered = set(agreed) | {sender.pk}
        ceptoars, subgroups = self.fields["ceptoars"], self.fields["subgroups"]
        ceptoars.queryset = ceptoars.queryset.filter(pk__in=offered)
        subgroups.queryset = subgroups.queryset.filter(parent_id__in=offered)
        refusal = _("No agreement in force lets your organisation send alerts to “%(value)s”.")
        ceptoars.error_messages["invalid_choice"] = subgroups.error_messages["invalid_choice"] = refusal
        names = dict(Organisation.objects.filter(pk__in=agreed).values_list("pk", "name"))
        for receiver, flow in sorted(agreed.items(), key=lambda item: names[item[0]]):
            self.agreement_terms.append(
                _("%(receiver)s: %(categories)s, up to %(tlp)s; %(relay)s (%(agreements)s)")
                % {
                    "receiver": names[receiver],
                    "categories": ", ".join(sorted(flows.category_label(c) for c in flow.categories)),
                    "tlp": Tlp(flow.highest_tlp).label,
                    "relay": _("it may relay to its members")
                    if flow.may_relay
                    else _("it may not relay to its members"),
                    "agreements": ", ".join(a.title for a in flow.agreements),
                }
            )
        self.agreement_terms_note = _(
            "Beyond your own members you may send only what an agreement in force covers. Anything else is "
            "refused when you publish, with the agreement it lacks."
        )

    def clean(self):
        cleaned = super().clean()
        self._check_tlp_against_agreements(cleaned)
        return cleaned

    def _check_tlp_against_agreements(self, cleaned: dict) -> None:
        """A marking above what the agreement with a ticked CEPTOAR (or its sub-group) allows is refused on
        the TLP field, naming the receiver and its limit (publication would refuse it too, on the audience)."""
        tlp = cleaned.get("tlp")
        if not self.agreed or tlp not in TLP_RANK:
            return
        ticked = {ceptoar.pk for ceptoar in cleaned.get("ceptoars") or []}
        ticked |= {subgroup.parent_id for subgroup in cleaned.get("subgroups") or []}
        over = [
            (receiver, flow)
            for receiver, flow in self.agreed.items()
            if receiver in ticked and TLP_RANK[Tlp(tlp)] > TLP_RANK[Tlp(flow.highest_tlp)]
        ]
        if over:
            names = dict(
                Organisation.objects.filter(pk__in=[r for r, _flow in over]).values_list("pk", "name")
            )
            self.add_error(
                "tlp",
                [
                    _("The agreement with %(receiver)s allows up to %(highest)s.")
                    % {"receiver": names[receiver], "highest": Tlp(flow.highest_tlp).label}
                    for receiver, flow in sorted(over, key=lambda item: names[item[0]])
                ],
            )

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
