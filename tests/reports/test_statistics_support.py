"""A small set of reports for the statistics tests, sent through `ceptoar.reports.services` as the members'
points of contact would send them, and the hops that carry some of them to the ministry and the hub.

    ref  CEPTOAR  event type      causes                                   occurred (JST)      consent
    A    banks    leak            information_theft, operator_error        2026-03-31 23:30    hub
    B    banks    unavailability  dos                                      2026-04-01 00:30    ministry
    C    banks    unavailability  hardware_failure, software_defect        2026-04-15 10:00    secretariat
    D    banks    malware         suspicious_mail                          2026-02-10 09:00    hub
    W    water    unavailability  power_outage                             2026-03-05 12:00    hub
    E    banks    (a draft, never sent)

Hops beyond the secretariat: FSA (ministry) for A, B and C; NISC (hub) for A, B, C, D and W. The hops of C
and the hub hop of B go beyond what their reporters agreed to: they stand for a bug or a tampered row, and the
policy must not count them.

B occurred on 2026-03-31 at 15:30 UTC: a month taken in UTC would put it in March, in Japan time it is April.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from ceptoar.registry.models import Organisation
from ceptoar.reports.models import Case, HopLevel, Report, ReportHop
from ceptoar.reports.services.drafts import DraftContent, save_draft, start_report
from ceptoar.reports.services.submission import submit
from ceptoar.reports.versions import draft_of

ALL_EVENT_TYPES = [
    "precursor",
    "leak",
    "destruction",
    "unavailability",
    "malware",
    "malicious_code",
    "intrusion",
    "other",
]


def send(
    user, ceptoar_code: str, *, event_type: str, causes: list[str], occurred_at: str, scope: str
) -> Report:
    """Start, fill in and send a first report, as the report form does."""
    report = start_report(user, Organisation.objects.get(code=ceptoar_code), scope=scope)
    draft = draft_of(report)
    occurred = datetime.fromisoformat(occurred_at)
    save_draft(
        user,
        draft,
        DraftContent(
            values={
                "title": f"{event_type} at {occurred_at}",
                "event_type": event_type,
                "causes": causes,
                "occurred_at": occurred,
                "detected_at": occurred + timedelta(minutes=20),
                "description": "What happened, in the reporter's words.",
            }
        ),
    )
    submit(user, draft)
    report.refresh_from_db()
    return report


def reach(report: Report, organisation_code: str, level: str, sent_by) -> ReportHop:
    # In the product `reports.services.routing.forward` records these hops (and refuses any beyond the
    # consent); the statistics only read them, so the tests write them directly, including some the
    # consent forbids.
    return ReportHop.objects.create(
        report=report,
        organisation=Organisation.objects.get(code=organisation_code),
        level=level,
        sent_by=sent_by,
    )


@dataclass
class Reports:
    a: Report
    b: Report
    c: Report
    d: Report
    w: Report
    draft: Report


@pytest.fixture(name="reports")
def reports_fixture(demo_user) -> Reports:
    # The counts below are exact: start from no reports at all, whatever the demo data holds (the test's
    # transaction is rolled back afterwards).
    Case.objects.all().delete()
    Report.objects.all().delete()
    member, member2, water = demo_user("demo-member"), demo_user("demo-member2"), demo_user("demo-water")
    secretariat = demo_user("demo-secretariat")
    a = send(
        member,
        "banks",
        event_type="leak",
        causes=["intentional.information_theft", "accidental.operator_error"],
        occurred_at="2026-03-31T23:30:00+09:00",
        scope="hub",
    )
    b = send(
        member2,
        "banks",
        event_type="unavailability",
        causes=["intentional.dos"],
        occurred_at="2026-04-01T00:30:00+09:00",
        scope="ministry",
    )
    c = send(
        member,
        "banks",
        event_type="unavailability",
        causes=["accidental.hardware_failure", "accidental.software_defect"],
        occurred_at="2026-04-15T10:00:00+09:00",
        scope="secretariat",
    )
    d = send(
        member2,
        "banks",
        event_type="malware",
        causes=["intentional.suspicious_mail"],
        occurred_at="2026-02-10T09:00:00+09:00",
        scope="hub",
    )
    w = send(
        water,
        "water",
        event_type="unavailability",
        causes=["environmental.power_outage"],
        occurred_at="2026-03-05T12:00:00+09:00",
        scope="hub",
    )
    draft = start_report(member, Organisation.objects.get(code="banks"), scope="hub")
    save_draft(
        member,
        draft_of(draft),
        DraftContent(values={"title": "Not sent yet", "event_type": "leak", "causes": ["other.unknown"]}),
    )
    for report in (a, b, c):
        reach(report, "fsa", HopLevel.MINISTRY, secretariat)
    for report in (a, b, c, d, w):
        reach(report, "nisc", HopLevel.HUB, secretariat)
    return Reports(a, b, c, d, w, draft)
