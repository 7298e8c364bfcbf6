"""Forms of the reporter's pages: the incident report form (one page: what happened, causes, times, affected
services, observables, files, consent) and the choice of CEPTOAR for a new report.

The forms only turn what was typed into values of the right type; `reports.services` decides what may be
saved and sent. `save_typed_draft` saves what is valid of a half-typed form and leaves what is not on its
field, so an autosave never loses the rest.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.forms.compose import MultipleFileField
from ceptoar.registry.forms.fields import OrganisationChoiceField
from ceptoar.registry.models import Organisation
from ceptoar.reports.models import (
    Cause,
    CauseClass,
    ConsentScope,
    EventType,
    IncidentStatus,
    Report,
    ReportVersion,
    Stage,
    TriageStatus,
)
from ceptoar.reports.services.attachments import add_attachment
from ceptoar.reports.services.drafts import CONTENT_FIELDS, SERVICE_FIELDS, DraftContent, save_draft
from ceptoar.utilities.refusals import REFUSED, attempt, show_refusal

# Reports are written in Japan time, whatever the server or browser says.
REPORT_TIMEZONE = ZoneInfo("Asia/Tokyo")
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",  # what <input type="datetime-local"> sends
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
]

# In plain words: how far the original goes. Anonymised cases are asked about separately, later.
SCOPE_EXPLANATIONS = {
    ConsentScope.SECRETARIAT: _("Only the secretariat of the CEPTOAR you report to reads your report."),
    ConsentScope.MINISTRY: _(
        "The secretariat may also pass your report, as you wrote it, to your sector ministry."
    ),
    ConsentScope.HUB: _(
        "The secretariat may pass your report, as you wrote it, to your sector ministry and to NISC."
    ),
}


# -- observables ------------------------------------------------------------------------------------

_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?!-)([a-z0-9-]{1,63}(?<!-)\.)+[a-z][a-z0-9-]{0,62}(?<!-)$", re.IGNORECASE
)
_HASH_LENGTHS = {"file:md5": 32, "file:sha1": 40, "file:sha256": 64, "file:sha512": 128}
_URL = URLValidator(schemes=["http", "https", "ftp", "ftps"])
_EMAIL = EmailValidator()


def _check_ipv4(value: str) -> str:
    try:
        return str(
            ipaddress.IPv4Network(value, strict=False) if "/" in value else ipaddress.IPv4Address(value)
        )
    except ValueError:
        raise ValidationError(_("“%(value)s” is not an IPv4 address."), params={"value": value}) from None


def _check_ipv6(value: str) -> str:
    try:
        return str(
            ipaddress.IPv6Network(value, strict=False) if "/" in value else ipaddress.IPv6Address(value)
        )
    except ValueError:
        raise ValidationError(_("“%(value)s” is not an IPv6 address."), params={"value": value}) from None


def _check_domain(value: str) -> str:
    if not _DOMAIN.match(value):
        raise ValidationError(_("“%(value)s” is not a domain name."), params={"value": value})
    return value.lower()


def _check_url(value: str) -> str:
    try:
        _URL(value)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not a URL (http://, https:// or ftp://)."), params={"value": value}
        ) from None
    return value


def _check_email(value: str) -> str:
    try:
        _EMAIL(value)
    except ValidationError:
        raise ValidationError(_("“%(value)s” is not an e-mail address."), params={"value": value}) from None
    return value


def _hash_checker(kind: str):
    length = _HASH_LENGTHS[kind]

    def check(value: str) -> str:
        if len(value) != length or not re.fullmatch(r"[0-9a-fA-F]+", value):
            raise ValidationError(
                _("“%(value)s” is not a %(kind)s hash (%(length)d hexadecimal characters)."),
                params={"value": value, "kind": kind.split(":")[1].upper(), "length": length},
            )
        return value.lower()

    return check


# STIX 2.1 cyber-observable types (file hashes as file:<algorithm>) and how each value is checked.
OBSERVABLE_TYPES = {
    "ipv4-addr": _check_ipv4,
    "ipv6-addr": _check_ipv6,
    "domain-name": _check_domain,
    "url": _check_url,
    "email-addr": _check_email,
    **{kind: _hash_checker(kind) for kind in _HASH_LENGTHS},
}


def _refang(value: str) -> str:
    """Undo the usual defanging of indicators: hxxp://, example[.]com, user[@]example.jp."""
    value = re.sub(r"^hxxp", "http", value, flags=re.IGNORECASE)
    return value.replace("[.]", ".").replace("(.)", ".").replace("[@]", "@").replace("[:]", ":")


def parse_observables(text: str) -> list[dict]:
    """Lines "type: value" → [{"type": …, "value": …}]. Blank lines and lines starting with # are skipped;
    every bad line is reported with its number, all at once."""
    observables: list[dict] = []
    errors: list[str] = []
    # The longest name first: "file:sha256" before any shorter type.
    kinds = sorted(OBSERVABLE_TYPES, key=len, reverse=True)
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind = next((k for k in kinds if line.lower().startswith(k + ":")), None)
        if kind is None:
            written = line.split(":", 1)[0].strip() if ":" in line else ""
            if written:
                message = _("Line %(line)d: unknown type “%(type)s”. Use one of: %(types)s.") % {
                    "line": number,
                    "type": written,
                    "types": ", ".join(OBSERVABLE_TYPES),
                }
            else:
                message = _("Line %(line)d: write “type: value”, e.g. “ipv4-addr: 203.0.113.5”.") % {
                    "line": number
                }
            errors.append(message)
            continue
        value = _refang(line[len(kind) + 1 :].strip())
        if not value:
            errors.append(
                _("Line %(line)d: the value after “%(type)s:” is missing.") % {"line": number, "type": kind}
            )
            continue
        try:
            value = OBSERVABLE_TYPES[kind](value)
        except ValidationError as error:
            errors.append(_("Line %(line)d: %(problem)s") % {"line": number, "problem": error.messages[0]})
            continue
        entry = {"type": kind, "value": value}
        if entry not in observables:
            observables.append(entry)
    if errors:
        raise ValidationError(errors)
    return observables


def format_observables(observables: Iterable[dict]) -> str:
    return "\n".join(f"{item.get('type', '')}: {item.get('value', '')}" for item in observables or [])


# -- fields -----------------------------------------------------------------------------------------


class ReportDateTimeField(forms.DateTimeField):
    """A date and time in Japan time, typed in <input type="datetime-local">."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    default_error_messages = {"invalid": _("Enter a date and time, e.g. 2025-04-01 09:30.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATETIME_INPUT_FORMATS)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value, REPORT_TIMEZONE).replace(tzinfo=None)
        return value

    def to_python(self, value):
        with timezone.override(REPORT_TIMEZONE):
            return super().to_python(value)


def cause_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The sub-causes grouped under their cause class, in the order of the models."""
    return [
        (
            class_label,
            [(value, label) for value, label in Cause.choices if Cause.class_of(value) == class_value],
        )
        for class_value, class_label in CauseClass.choices
    ]


class ReportForm(forms.Form):
    """One version of a report as the reporter types it. Nothing is required for a draft; what sending
    needs is `services.submission.validate_for_submission`'s to say, on the field concerned."""

    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=ReportVersion._meta.get_field("title").max_length,
        help_text=_("One line, e.g. “Internet banking unavailable”."),
    )
    event_type = forms.ChoiceField(
        label=_("Event type"),
        required=False,
        choices=EventType.choices,
        widget=forms.RadioSelect,
        help_text=_("Choose the one that fits best."),
    )
    causes = forms.MultipleChoiceField(
        label=_("Causes"),
        required=False,
        choices=cause_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick all that apply; “Unknown” if you do not know yet."),
    )
    occurred_at = ReportDateTimeField(
        label=_("When it occurred"), help_text=_("Japan time. An estimate is fine.")
    )
    detected_at = ReportDateTimeField(label=_("When it was detected"), help_text=_("Japan time."))
    recovered_at = ReportDateTimeField(
        label=_("When it was recovered"), help_text=_("Japan time. Leave empty while not recovered.")
    )
    incident_status = forms.ChoiceField(
        label=_("Status"), choices=IncidentStatus.choices, initial=IncidentStatus.ONGOING
    )
    description = forms.CharField(
        label=_("What happened"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("In your own words: what you saw, what it affected, what you know so far."),
    )
    countermeasures = forms.CharField(
        label=_("Countermeasures"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you have done and plan to do."),
    )
    observables = forms.CharField(
        label=_("Observables (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "code-input", "spellcheck": "false"}),
        help_text=_(
            "One per line, “type: value”, e.g. ipv4-addr: 203.0.113.5 — types: ipv4-addr, ipv6-addr, "
            "domain-name, url, email-addr, file:sha256 (or file:md5, file:sha1, file:sha512)."
        ),
    )
    attachments = MultipleFileField(
        label=_("Attach files"),
        required=False,
        help_text=_("Screenshots, logs, documents. Executable files cannot be attached."),
    )
    scope = forms.ChoiceField(
        label=_("How far your original report may go"),
        choices=ConsentScope.choices,
        widget=forms.RadioSelect,
        initial=ConsentScope.SECRETARIAT,
        help_text=_(
            "This is about the report as you wrote it. Anonymised failure cases made from it are a separate "
            "question: the secretariat asks for your approval of each one later."
        ),
    )
    analysis_consent = forms.BooleanField(
        label=_(
            "I consent to the secretariat forwarding this report for analysis to an analysis partner "
            "(only one with which our CEPTOAR has an agreement in force)"
        ),
        required=False,
        help_text=_(
            "Analysis partners are bodies such as FISC (finance), JAHIS (medical services) or CRIEPI "
            "(electricity). The partner receives the report as you wrote it, without anonymising it: what "
            "happened, the causes, the times, the affected services and the countermeasures, in the version "
            "that is newest when the secretariat forwards it. Your organisation's name is shown to the partner "
            "where the agreement says originators are named. Your attached files, the comments and the names "
            "of the people who wrote the report are not forwarded. You may withdraw this consent later (untick it "
            "in a follow-up report): the partner then no longer sees the report here, but what it has already "
            "read cannot be un-read. "
            "Analyses the partner returns reach other members only as the secretariat's alert, not as your "
            "report."
        ),
    )
    stage = forms.ChoiceField(
        label=_("Send as"),
        required=False,
        choices=[(Stage.FOLLOW_UP, Stage.FOLLOW_UP.label), (Stage.FINAL, Stage.FINAL.label)],
        widget=forms.RadioSelect,
        initial=Stage.FOLLOW_UP,
        help_text=_("“Final report” when the incident is over and nothing more is to come."),
    )

    # What a draft save stores on the version (the rest: scope on the report, files, stage on sending).
    VERSION_FIELDS = CONTENT_FIELDS

    def __init__(self, *args, report: Report, version: ReportVersion | None = None, **kwargs):
        if version is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(report, version)
        super().__init__(*args, **kwargs)
        self.report = report
        self.is_first = report.status == TriageStatus.DRAFT
        if self.is_first:
            del self.fields["stage"]
        elif report.has_final:
            self.fields["stage"].choices = [(Stage.FOLLOW_UP, Stage.FOLLOW_UP.label)]

    @staticmethod
    def initial_from(report: Report, version: ReportVersion) -> dict:
        initial = {name: getattr(version, name) for name in ReportForm.VERSION_FIELDS}
        initial["observables"] = format_observables(version.observables)
        initial["scope"] = report.scope
        initial["analysis_consent"] = report.analysis_consent
        if version.stage in (Stage.FOLLOW_UP, Stage.FINAL):
            initial["stage"] = version.stage
        return initial

    def clean_observables(self) -> list[dict]:
        return parse_observables(self.cleaned_data.get("observables", ""))

    def cause_groups(self) -> list[tuple[str, list]]:
        """The cause checkboxes under their class heading, for the template."""
        boxes = {box.data["value"]: box for box in self["causes"]}
        return [
            (class_label, [boxes[value] for value, _label in choices if value in boxes])
            for class_label, choices in cause_choices()
        ]

    def scope_choices(self) -> list[tuple[object, str]]:
        return [(box, SCOPE_EXPLANATIONS[ConsentScope(box.data["value"])]) for box in self["scope"]]

    def valid_values(self) -> dict:
        """The version fields that were typed validly (all of them on a valid form)."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: cleaned[name] for name in self.VERSION_FIELDS if name in cleaned and name not in self.errors
        }


class AffectedServiceForm(forms.Form):
    """One affected service and its impact; a row left empty (or ticked “remove”) is dropped."""

    name = forms.CharField(label=_("Service"), required=False, max_length=200)
    impact = forms.CharField(
        label=_("Impact"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. logins failed")}),
    )
    people_affected = forms.IntegerField(
        label=_("People affected"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"class": "short"}),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"class": "short"}),
    )
    continuity_level_breached = forms.BooleanField(label=_("Continuity level breached"), required=False)

    def is_blank(self) -> bool:
        cleaned = getattr(self, "cleaned_data", {})
        return (
            not any(
                cleaned.get(name) not in (None, "", False)
                for name in (
                    "name",
                    "impact",
                    "people_affected",
                    "duration_minutes",
                    "continuity_level_breached",
                )
            )
            and not self.errors
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE"):
            return cleaned
        typed = any(
            cleaned.get(name) not in (None, "", False)
            for name in ("impact", "people_affected", "duration_minutes", "continuity_level_breached")
        )
        if typed and not (cleaned.get("name") or "").strip() and "name" not in self.errors:
            self.add_error("name", _("Name the service (or tick “remove”)."))
        return cleaned


class BaseAffectedServiceFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")

    def rows(self) -> list[dict] | None:
        """The services to store, in order; None when a row has an error (the stored rows are kept)."""
        if any(form.errors for form in self.forms if not self._should_delete_form(form)):
            return None
        if self.non_form_errors():
            return None
        return [
            {name: form.cleaned_data.get(name) for name in SERVICE_FIELDS}
            | {"impact": form.cleaned_data.get("impact") or ""}
            for form in self.forms
            if not self._should_delete_form(form) and not form.is_blank()
        ]


AffectedServiceFormSet = forms.formset_factory(
    AffectedServiceForm, formset=BaseAffectedServiceFormSet, extra=1, can_delete=True, max_num=50
)
SERVICES_PREFIX = "services"


def services_formset(data=None, version: ReportVersion | None = None, add_row: bool = False):
    initial = None
    if version is not None:
        initial = [
            {name: getattr(service, name) for name in SERVICE_FIELDS}
            for service in version.affected_services.all()
        ]
    if data is not None and add_row:
        data = data.copy()
        key = f"{SERVICES_PREFIX}-TOTAL_FORMS"
        total = data.get(key, "0")
        if total.isdigit():
            data[key] = str(int(total) + 1)
    formset = AffectedServiceFormSet(data, initial=initial, prefix=SERVICES_PREFIX)
    return formset


# -- saving what was typed ----------------------------------------------------------------------------


# Keys of the services' errors that the form calls otherwise (`show_refusal`'s aliases).
FIELD_ALIASES = {"attachment": "attachments"}


def save_typed_draft(user, draft: ReportVersion, form: ReportForm, formset) -> bool:
    """Save what is valid of the form (and of the services table, when all its rows are valid). Fields the
    services refuse are left as stored, with the reason on them. True when everything typed was saved."""
    form.is_valid()
    formset.is_valid()
    values = form.valid_values()
    scope = form.cleaned_data.get("scope") if "scope" not in form.errors else None
    consent = form.cleaned_data.get("analysis_consent") if "analysis_consent" not in form.errors else None
    rows = formset.rows()
    complete = not form.errors and rows is not None
    for _attempt in range(3):
        content = DraftContent(values=values, affected_services=rows, scope=scope, analysis_consent=consent)
        try:
            save_draft(user, draft, content)
        except ValidationError as error:
            show_refusal(form, error, aliases=FIELD_ALIASES)
            if not hasattr(error, "error_dict"):
                return False
            complete = False
            refused = set(error.message_dict)
            values = {name: value for name, value in values.items() if name not in refused}
            if "scope" in refused:
                scope = None
            if "analysis_consent" in refused:
                consent = None
            if refused - {"scope", "analysis_consent"} - set(form.VERSION_FIELDS):
                # A service row the model refused: keep the stored rows.
                rows = None
            continue
        return complete
    return False


def add_attachments(user, draft: ReportVersion, form: ReportForm) -> list:
    """Attach the uploaded files to the draft; a refused one is named on the attachments field."""
    added = []
    for upload in form.files.getlist("attachments") if form.files else []:
        attachment = attempt(
            form,
            lambda upload=upload: add_attachment(user, draft, upload.name, upload.read()),
            aliases=FIELD_ALIASES,
            fallback="attachments",
        )
        if attachment is not REFUSED:
            added.append(attachment)
    return added


class NewReportForm(forms.Form):
    """The CEPTOAR a new report goes to: one the reporter's organisation is a member of."""

    ceptoar = OrganisationChoiceField(
        label=_("Report to"),
        queryset=Organisation.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"invalid_choice": _("Choose one of the CEPTOARs your organisation belongs to.")},
    )

    def __init__(self, *args, ceptoars, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ceptoar"].queryset = ceptoars
