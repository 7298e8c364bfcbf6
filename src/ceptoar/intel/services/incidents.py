"""Incidents (インシデント): several reports linked as one by a coordinator, a secretariat or the hub — by hand
or from a signal — and the incident's timeline. Each change is one function in one transaction; a report is
linked only if the person may see it (`sharing.policy.visible_reports`), and every reader of the incident
sees only the linked reports, and the parts of them, it may see itself."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ceptoar.intel.models import Incident, IncidentReport, IncidentStatus, Observable
from ceptoar.intel.services.incident_access import incident_may_change, incident_may_keep
from ceptoar.reports import tracking
from ceptoar.reports.models import Case, Report, ReportHop, ReportVersion
from ceptoar.sharing import policy

TITLE_MAX = Incident._meta.get_field("title").max_length


def _check_reports(user, reports: Iterable[Report]) -> list[Report]:
    reports = list(dict.fromkeys(reports))
    ids = [report.pk for report in reports]
    visible = set(
        policy.visible_reports(user, Report.objects.filter(pk__in=ids)).values_list("pk", flat=True)
    )
    hidden = [report for report in reports if report.pk not in visible]
    if hidden:
        # Named by id only: the person may not see the report, so not even its reference is shown.
        raise ValidationError(
            {
                "reports": _("You may not link reports you cannot see (ids %(ids)s).")
                % {"ids": ", ".join(str(r.pk) for r in hidden)}
            }
        )
    return reports


def do_create_incident(
    user, title: str, reports: Iterable[Report], from_observable: Observable | None = None, summary: str = ""
) -> Incident:
    """A new open incident kept by `user`'s organisation, linking `reports` (each one `user` may see)."""
    if not incident_may_keep(user):
        raise ValidationError(
            _("Only CEPTOAR secretariats and coordinators and the hub's staff keep incidents.")
        )
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the incident a title.")})
    if len(title) > TITLE_MAX:
        raise ValidationError(
            {"title": _("The title is longer than %(max)d characters.") % {"max": TITLE_MAX}}
        )
    with transaction.atomic():
        reports = _check_reports(user, reports)
        incident = Incident.objects.create(
            title=title,
            summary=summary or "",
            organisation_id=user.organisation_id,
            created_by=user,
            from_observable=from_observable,
        )
        IncidentReport.objects.bulk_create(
            [IncidentReport(incident=incident, report=report, added_by=user) for report in reports]
        )
    return incident


def _require_change(user, incident: Incident) -> None:
    if not incident_may_change(user, incident):
        if incident.status != IncidentStatus.OPEN:
            raise ValidationError(_("This incident is closed."))
        raise ValidationError(_("You may not change this incident."))


def do_link_report(user, incident: Incident, report: Report) -> IncidentReport:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        _require_change(user, incident)
        _check_reports(user, [report])
        if IncidentReport.objects.filter(incident=incident, report=report).exists():
            raise ValidationError({"report": _("This report is already linked to the incident.")})
        link = IncidentReport.objects.create(incident=incident, report=report, added_by=user)
        incident.save(update_fields=["updated_at"])
    return link


def do_unlink_report(user, incident: Incident, report: Report) -> None:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        _require_change(user, incident)
        deleted, _ignored = IncidentReport.objects.filter(incident=incident, report=report).delete()
        if not deleted:
            raise ValidationError({"report": _("This report is not linked to the incident.")})
        incident.save(update_fields=["updated_at"])


def do_close_incident(user, incident: Incident) -> Incident:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        _require_change(user, incident)
        incident.status = IncidentStatus.CLOSED
        incident.save(update_fields=["status", "updated_at"])
    return incident


# -- reads ----------------------------------------------------------------------------------------------


def linked_reports(user, incident: Incident):
    """The incident's reports `user` may see, newest first (others are not counted or hinted at)."""
    linked = IncidentReport.objects.filter(incident=incident).values("report_id")
    return policy.visible_reports(user, Report.objects.filter(pk__in=linked)).order_by(
        "-first_submitted_at", "-pk"
    )


@dataclass
class TimelineEntry:
    at: datetime.datetime
    kind: str  # version, hop, comment, case
    report: Report
    label: str
    detail: str = ""
    case: Case | None = None


def timeline(user, incident: Incident) -> list[TimelineEntry]:
    """The linked reports' submitted versions, hops, comments and the cases made of them, in time order,
    each only if `user` may see it: versions, hops and comments of the reports it holds (comments as
    `reports.tracking.comments_for` allows), cases as `visible_cases` allows."""
    reports = {report.pk: report for report in linked_reports(user, incident)}
    held = set(
        policy.reports_held(user, Report.objects.filter(pk__in=list(reports))).values_list("pk", flat=True)
    )
    entries: list[TimelineEntry] = []
    versions = ReportVersion.objects.filter(report_id__in=held, submitted_at__isnull=False)
    for version in versions:
        entries.append(
            TimelineEntry(
                version.submitted_at,
                "version",
                reports[version.report_id],
                version.get_stage_display(),
                version.title,
            )
        )
    for hop in ReportHop.objects.filter(report_id__in=held).select_related("organisation"):
        entries.append(
            TimelineEntry(
                hop.sent_at, "hop", reports[hop.report_id], hop.get_level_display(), hop.organisation.name
            )
        )
    for report_id in sorted(held):
        for comment in tracking.comments_for(user, reports[report_id]):
            entries.append(
                TimelineEntry(
                    comment.created_at, "comment", reports[report_id], comment.organisation.name, comment.body
                )
            )
    cases = policy.visible_cases(user, Case.objects.filter(report_id__in=list(reports)))
    for case in cases:
        entries.append(TimelineEntry(case.created_at, "case", reports[case.report_id], case.title, case=case))
    entries.sort(key=lambda entry: (entry.at, entry.kind))
    return entries
