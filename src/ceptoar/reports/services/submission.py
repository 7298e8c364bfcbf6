"""Sending a report's draft as its next version (第1報, follow-ups, 最終報): the checks a version must pass, and
the sending itself. A refused submission leaves the draft exactly as it was saved."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.intel import index as intel_index
from ceptoar.notifications import events as notify
from ceptoar.reports import access
from ceptoar.reports.models import (
    Cause,
    HopLevel,
    Report,
    ReportCause,
    ReportHop,
    ReportVersion,
    Stage,
    TriageStatus,
)


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
    access.require_report_editor(user, report)
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
    intel_index.index_report(report)
    notify.report_arrived(version)
    return version
