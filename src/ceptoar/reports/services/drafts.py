"""Writing a report on the reporter's side: start it, save the draft as it is typed, and start a follow-up
(第2報 … 最終報) from the last version sent. Each is one transaction; errors are ValidationErrors keyed by the
form field concerned.

Sending a version is `services.submission`, files `services.attachments`; triage and routing are in
`services.routing`, `services.triage` and `services.comments`, failure cases in `services.cases`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.registry.models import Organisation
from ceptoar.reports import access
from ceptoar.reports.models import (
    SCOPE_RANK,
    AffectedService,
    ConsentScope,
    HopLevel,
    Report,
    ReportVersion,
    Stage,
)
from ceptoar.reports.versions import draft_of, latest_submitted

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
    # The reporter's consent to forwarding for analysis (None leaves it as it is).
    analysis_consent: bool | None = None


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


@transaction.atomic
def save_draft(user: User, version: ReportVersion, content: DraftContent) -> ReportVersion:
    """Save what the reporter has typed so far. Nothing is required yet; a sent version cannot change."""
    report = Report.objects.select_for_update().get(pk=version.report_id)
    access.require_report_editor(user, report)
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
    if content.analysis_consent is not None and content.analysis_consent != report.analysis_consent:
        # Given or withdrawn at any time: withdrawn, the partners it was forwarded to no longer see it
        # (`sharing.policy.visible_reports`); what they already read cannot be un-read, and the form says so.
        report.analysis_consent = content.analysis_consent
        report.save(update_fields=["analysis_consent", "updated_at"])
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


@transaction.atomic
def start_follow_up(user: User, report: Report) -> ReportVersion:
    """A new draft (第2報, 最終報 …) holding what the last sent version said, for the reporter to update."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.organisation_id != user.organisation_id:
        raise ValidationError(
            _("Report %(reference)s belongs to another organisation; you cannot add to it.")
            % {"reference": report.reference}
        )
    access.require_report_editor(user, report)
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
