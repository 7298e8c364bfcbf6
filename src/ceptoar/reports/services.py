"""Report operations on the reporter's side: start, save the draft, submit a version, start a follow-up,
attach files. Each is one transaction; errors are ValidationErrors keyed by the form field concerned, and a
refused submission leaves the draft exactly as it was saved.

Triage and routing are in `reports.triage`, failure cases in `reports.cases`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.alerts.attachments import check_attachment
from ceptoar.registry.models import Organisation
from ceptoar.reports import access
from ceptoar.reports.models import (
    SCOPE_RANK,
    AffectedService,
    Cause,
    ConsentScope,
    HopLevel,
    Report,
    ReportAttachment,
    ReportCause,
    ReportHop,
    ReportVersion,
    Stage,
    TriageStatus,
)

# Fields of a version a draft save may set, and that a follow-up copies from the version before it.
CONTENT_FIELDS = (
    "title",
    "event_type",
    "causes",
    "occurred_at",
    "detected_at",
    "recovered_at",
    "incident_status",
    "description",
    "countermeasures",
    "observables",
)
SERVICE_FIELDS = ("name", "impact", "people_affected", "duration_minutes", "continuity_level_breached")


@dataclass
class DraftContent:
    """What the form sends on each save. Values are already of the right type (the form's job); whether
    they make a report that can be sent is `validate_for_submission`'s."""

    values: dict = field(default_factory=dict)
    # None leaves the affected services as they are; a list replaces them.
    affected_services: list[dict] | None = None
    scope: str | None = None


def _reference(report: Report) -> str:
    return f"R{timezone.localdate():%Y}-{report.pk:06d}"


@transaction.atomic
def start_report(user: User, ceptoar: Organisation, scope: str = ConsentScope.SECRETARIAT) -> Report:
    """A new report with an empty first draft, to the chosen CEPTOAR (one the member belongs to)."""
    if not access.ceptoars_reportable_by(user).filter(pk=ceptoar.pk).exists():
        raise ValidationError(
            {"ceptoar": _("Your organisation is not a member of %(name)s.") % {"name": ceptoar}}
        )
    if scope not in ConsentScope.values:
        raise ValidationError({"scope": _("Unknown choice: %(value)s") % {"value": scope}})
    # The reference is made from the id; a unique placeholder holds its place for the first insert.
    report = Report.objects.create(
        reference=f"pending-{timezone.now().timestamp()}-{user.pk}",
        organisation_id=user.organisation_id,
        ceptoar=ceptoar,
        scope=scope,
        created_by=user,
    )
    report.reference = _reference(report)
    report.save(update_fields=["reference"])
    ReportVersion.objects.create(report=report, number=1, stage=Stage.FIRST, author=user)
    return report


def draft_of(report: Report) -> ReportVersion | None:
    return report.versions.filter(submitted_at=None).first()


def latest_submitted(report: Report) -> ReportVersion | None:
    return report.versions.exclude(submitted_at=None).order_by("-number").first()


def _require_editor(user: User, report: Report) -> None:
    if not access.can_edit_report(user, report):
        raise PermissionDenied(_("Only your own organisation's open reports can be changed here."))


@transaction.atomic
def save_draft(user: User, version: ReportVersion, content: DraftContent) -> ReportVersion:
    """Save what the reporter has typed so far. Nothing is required yet; a sent version cannot change."""
    report = Report.objects.select_for_update().get(pk=version.report_id)
    _require_editor(user, report)
    version = ReportVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise ValidationError(
            _("Version %(number)s has been sent and can no longer change.") % {"number": version.number}
        )
    unknown = set(content.values) - set(CONTENT_FIELDS)
    if unknown:
        raise ValueError(f"not report fields: {sorted(unknown)}")
    for name, value in content.values.items():
        setattr(version, name, value)
    version.author = user
    version.full_clean(exclude=["report", "author"])
    version.save()
    if content.affected_services is not None:
        _replace_services(version, content.affected_services)
    if content.scope is not None and content.scope != report.scope:
        _change_scope(report, content.scope)
    return version


def _replace_services(version: ReportVersion, services: list[dict]) -> None:
    version.affected_services.all().delete()
    rows = []
    for position, values in enumerate(services):
        row = AffectedService(
            version=version, position=position, **{k: values.get(k) for k in SERVICE_FIELDS if k in values}
        )
        row.full_clean(exclude=["version"])
        rows.append(row)
    AffectedService.objects.bulk_create(rows)


def _change_scope(report: Report, scope: str) -> None:
    if scope not in ConsentScope.values:
        raise ValidationError({"scope": _("Unknown choice: %(value)s") % {"value": scope}})
    # Consent can be narrowed at any time, but a hop that already holds the original cannot be un-sent:
    # widening is free, narrowing below a reached hop is refused with the hop named.
    beyond = report.hops.exclude(
        level__in=[
            level
            for level in HopLevel.values
            if SCOPE_RANK[ConsentScope(level)] <= SCOPE_RANK[ConsentScope(scope)]
        ]
    ).select_related("organisation")
    if beyond.exists():
        names = ", ".join(str(hop.organisation) for hop in beyond)
        raise ValidationError(
            {
                "scope": _(
                    "The report has already been forwarded to %(names)s; it cannot be narrowed below that."
                )
                % {"names": names}
            }
        )
    report.scope = scope
    report.save(update_fields=["scope", "updated_at"])


def validate_for_submission(version: ReportVersion, now: datetime | None = None) -> None:
    """Raise ValidationError, keyed by field, unless the version is complete and consistent."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not version.title.strip():
        add("title", _("Give the report a short title."))
    if not version.event_type:
        add("event_type", _("Choose the event type."))
    if not version.causes:
        add("causes", _("Choose at least one cause (or “Unknown”)."))
    unknown_causes = [code for code in version.causes if code not in Cause.values]
    if unknown_causes:
        add("causes", _("Unknown cause: %(value)s") % {"value": ", ".join(map(str, unknown_causes))})
    if version.occurred_at is None:
        add("occurred_at", _("Say when it occurred (an estimate is fine)."))
    if version.detected_at is None:
        add("detected_at", _("Say when it was detected."))
    if not version.description.strip():
        add("description", _("Describe what happened."))
    for name in ("occurred_at", "detected_at", "recovered_at"):
        value = getattr(version, name)
        if value is not None and value > now:
            add(name, _("This time is in the future."))
    if version.occurred_at and version.detected_at and version.detected_at < version.occurred_at:
        add("detected_at", _("It cannot have been detected before it occurred."))
    if version.recovered_at is not None:
        if version.occurred_at and version.recovered_at < version.occurred_at:
            add("recovered_at", _("It cannot have been recovered before it occurred."))
        elif version.detected_at and version.recovered_at < version.detected_at:
            add("recovered_at", _("Recovery cannot come before detection."))
    if (
        version.stage == Stage.FINAL
        and version.recovered_at is None
        and version.incident_status == "recovered"
    ):
        add("recovered_at", _("Say when it was recovered."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def submit(user: User, version: ReportVersion, stage: str | None = None) -> ReportVersion:
    """Send the draft as the next version (第1報, then follow-ups, then 最終報). The first sending puts the
    report into its CEPTOAR's triage queue and records that hop."""
    report = Report.objects.select_for_update().get(pk=version.report_id)
    _require_editor(user, report)
    version = ReportVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise ValidationError(_("Version %(number)s has already been sent.") % {"number": version.number})
    first = report.status == TriageStatus.DRAFT
    stage = Stage.FIRST if first else (stage or Stage.FOLLOW_UP)
    if not first and stage == Stage.FIRST:
        raise ValidationError(
            {"stage": _("The first report has already been sent; choose follow-up or final.")}
        )
    if report.has_final and stage == Stage.FINAL:
        raise ValidationError(
            {"stage": _("The final report has already been sent; send a follow-up instead.")}
        )
    version.stage = stage
    validate_for_submission(version)
    now = timezone.now()
    version.submitted_at = now
    version.author = user
    version.save(update_fields=["stage", "submitted_at", "author", "saved_at"])

    report.title = version.title
    report.event_type = version.event_type
    report.occurred_at = version.occurred_at
    report.detected_at = version.detected_at
    report.has_final = report.has_final or stage == Stage.FINAL
    if first:
        report.first_submitted_at = now
        report.status = TriageStatus.NEW
        ReportHop.objects.create(
            report=report, organisation_id=report.ceptoar_id, level=HopLevel.SECRETARIAT, sent_by=user
        )
    elif report.status == TriageStatus.MORE_INFORMATION:
        # The reporter answered: back to the top of the secretariat's queue.
        report.status = TriageStatus.NEW
    report.save()
    ReportCause.objects.filter(report=report).delete()
    ReportCause.objects.bulk_create(
        ReportCause(report=report, cause=code, cause_class=Cause.class_of(code))
        for code in sorted(set(version.causes))
    )
    return version


@transaction.atomic
def start_follow_up(user: User, report: Report) -> ReportVersion:
    """A new draft (第2報, 最終報 …) holding what the last sent version said, for the reporter to update."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.organisation_id != user.organisation_id:
        raise ValidationError(
            _("Report %(reference)s belongs to another organisation; you cannot add to it.")
            % {"reference": report.reference}
        )
    _require_editor(user, report)
    existing = draft_of(report)
    if existing is not None:
        return existing
    previous = latest_submitted(report)
    if previous is None:
        raise ValidationError(_("Send the first report before a follow-up."))
    draft = ReportVersion.objects.create(
        report=report,
        number=previous.number + 1,
        stage=Stage.FOLLOW_UP,
        author=user,
        **{name: getattr(previous, name) for name in CONTENT_FIELDS},
    )
    AffectedService.objects.bulk_create(
        AffectedService(
            version=draft, position=service.position, **{k: getattr(service, k) for k in SERVICE_FIELDS}
        )
        for service in previous.affected_services.all()
    )
    return draft


@transaction.atomic
def add_attachment(user: User, version: ReportVersion, name: str, content: bytes) -> ReportAttachment:
    """Attach a file to the draft being written; refused (with the file named) if too large or of a type
    that may not be attached."""
    report = Report.objects.select_for_update().get(pk=version.report_id)
    _require_editor(user, report)
    if not ReportVersion.objects.filter(pk=version.pk, submitted_at=None).exists():
        raise ValidationError(
            {"attachment": _("Files are added to the draft, not to a version already sent.")}
        )
    try:
        checked = check_attachment(name, content)
    except ValidationError as error:
        raise ValidationError({"attachment": error.messages}) from error
    attachment = ReportAttachment(
        report=report,
        version=version,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=user,
    )
    attachment.file.save(checked.name, ContentFile(content), save=False)
    attachment.save()
    return attachment


@transaction.atomic
def remove_attachment(user: User, attachment: ReportAttachment) -> None:
    """Only from the draft it was added with; a sent version keeps its files."""
    # Read again under the report's lock: the caller's objects may be older than a submission just made.
    report = Report.objects.select_for_update().get(pk=attachment.report_id)
    _require_editor(user, report)
    attachment = ReportAttachment.objects.select_related("version").get(pk=attachment.pk)
    if attachment.version.submitted_at is not None:
        raise ValidationError(
            _("%(name)s was sent with version %(number)s and stays with it.")
            % {"name": attachment.name, "number": attachment.version.number}
        )
    storage, stored_name = attachment.file.storage, attachment.file.name
    attachment.delete()
    # The file goes only once the row is gone for good.
    transaction.on_commit(lambda: storage.delete(stored_name))


def version_label(version: ReportVersion) -> str:
    """第1報, 第2報 …, 最終報 in the reader's language."""
    if version.stage == Stage.FINAL:
        return _("Final report")
    return _("Report no. %(number)d") % {"number": version.number}
