"""Helpers shared by the report page tests (and other report helpers' tests): a submitted report made through
the services, as a member's point of contact would send it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ceptoar.reports import access
from ceptoar.reports.forms.reports import REPORT_TIMEZONE
from ceptoar.reports.models import Cause, EventType, IncidentStatus, Report
from ceptoar.reports.services.drafts import DraftContent, save_draft, start_report
from ceptoar.reports.services.submission import submit
from ceptoar.reports.versions import draft_of


def report_values(**overrides) -> dict:
    """Complete content of a version: everything `validate_for_submission` asks for."""
    now = timezone.now()
    values = {
        "title": "Internet banking unavailable after DDoS",
        "event_type": EventType.UNAVAILABILITY,
        "causes": [Cause.DOS],
        "occurred_at": now - timedelta(hours=3),
        "detected_at": now - timedelta(hours=2),
        "recovered_at": None,
        "incident_status": IncidentStatus.ONGOING,
        "description": "Mass access from many addresses made internet banking unavailable.",
        "countermeasures": "Upstream filtering requested from the provider.",
        "observables": [{"type": "ipv4-addr", "value": "203.0.113.5"}],
    }
    values.update(overrides)
    return values


def submitted_report(user, scope: str = "secretariat", **values) -> Report:
    """A report that `user` (a member's POC, e.g. demo-member) has sent as 第1報 to the first CEPTOAR its
    organisation belongs to; `values` override the version's content (see `report_values`)."""
    ceptoar = access.ceptoars_reportable_by(user).order_by("pk").first()
    report = start_report(user, ceptoar, scope=scope)
    draft = draft_of(report)
    save_draft(
        user,
        draft,
        DraftContent(
            values=report_values(**values),
            affected_services=[{"name": "Internet banking", "people_affected": 1200, "duration_minutes": 90}],
        ),
    )
    submit(user, draft)
    report.refresh_from_db()
    return report


def form_data(services_rows: list[dict] | None = None, **overrides) -> dict:
    """What a member's POC types on the report form (POST data): a complete first report, with one
    affected service unless `services_rows` says otherwise. Times are Japan time, as the browser sends them."""
    now = timezone.localtime(timezone.now(), REPORT_TIMEZONE)
    data = {
        "title": "Internet banking unavailable after DDoS",
        "event_type": EventType.UNAVAILABILITY,
        "causes": [Cause.DOS],
        "occurred_at": (now - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "detected_at": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "recovered_at": "",
        "incident_status": IncidentStatus.ONGOING,
        "description": "Mass access from many addresses made internet banking unavailable.",
        "countermeasures": "Upstream filtering requested from the provider.",
        "observables": "ipv4-addr: 203.0.113.5\ndomain-name: attacker.example",
        "scope": "secretariat",
    }
    rows = (
        [
            {
                "name": "Internet banking",
                "impact": "logins failed",
                "people_affected": "1200",
                "duration_minutes": "90",
            }
        ]
        if services_rows is None
        else services_rows
    )
    data.update(
        {
            "services-TOTAL_FORMS": str(len(rows)),
            "services-INITIAL_FORMS": "0",
            "services-MIN_NUM_FORMS": "0",
            "services-MAX_NUM_FORMS": "50",
        }
    )
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"services-{index}-{name}"] = value
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}
