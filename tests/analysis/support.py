"""Helpers for the situation-assessment tests: incident reports sent and forwarded through the reports'
own services, as a member's point of contact and its secretariat would."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ceptoar.accounts.models import User
from ceptoar.registry.models import Organisation
from ceptoar.reports.models import Report
from ceptoar.reports.services import routing
from ceptoar.reports.services.drafts import DraftContent, save_draft, start_report
from ceptoar.reports.services.submission import submit
from ceptoar.reports.versions import draft_of

PAGE_NAME = "analysis:situation"


def send_report(
    user: User,
    *,
    scope: str,
    event_type: str,
    causes: list[str],
    title: str,
    ceptoar_code: str = "banks",
    ago: timedelta = timedelta(days=3),
) -> Report:
    """Start, fill in and send a first report, as the report form does."""
    occurred = timezone.now() - ago
    report = start_report(user, Organisation.objects.get(code=ceptoar_code), scope=scope)
    draft = draft_of(report)
    values = {
        "title": title,
        "event_type": event_type,
        "causes": causes,
        "occurred_at": occurred,
        "detected_at": occurred + timedelta(minutes=20),
        "description": "What happened, in the reporter's words.",
    }
    save_draft(user, draft, DraftContent(values=values))
    submit(user, draft)
    report.refresh_from_db()
    return report


def forward(secretariat: User, report: Report, *levels: str) -> None:
    routing.forward(secretariat, report, list(levels))
