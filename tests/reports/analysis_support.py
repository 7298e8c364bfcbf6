"""The world of the analysis-partner tests: the electricity CEPTOAR, one of its members reporting, its
secretariat, and an analysis partner (a research institute made here, outside the demo's finance set) with
an agreement in force that covers reports for analysis. Made through the same services the pages use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from ceptoar.accounts.models import Role, User
from ceptoar.agreements.models import Agreement, FlowKind
from ceptoar.registry.models import (
    ChannelKind,
    Contact,
    ContactChannel,
    ContactRole,
    Membership,
    Organisation,
    OrganisationKind,
)
from ceptoar.reports.models import Cause, EventType, Report
from ceptoar.reports.services.drafts import DraftContent, save_draft, start_report
from ceptoar.reports.services.submission import submit
from ceptoar.reports.services.triage import set_status
from ceptoar.reports.versions import draft_of
from tests.agreements.helpers import in_force, term
from tests.reports.test_triage_support import person

CEPTOAR = "electricity"
PARTNER = "criepi-analysis"
PARTNER_ADDRESS = "analysis-desk@criepi.example.jp"
REPORT_TITLE = "制御系ネットワークの監視端末が停止"


def organisation(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def make_partner(code: str = PARTNER, name: str = "電力中央研究所 分析センター（試験）") -> Organisation:
    """An analysis partner with a primary POC reachable by e-mail."""
    ceptoar = organisation(CEPTOAR)
    partner = Organisation.objects.create(
        code=code, name=name, kind=OrganisationKind.RELATED_BODY, sector=ceptoar.sector
    )
    contact = Contact.objects.create(organisation=partner, name="分析窓口", role=ContactRole.PRIMARY)
    ContactChannel.objects.create(contact=contact, kind=ChannelKind.EMAIL, value=PARTNER_ADDRESS)
    return partner


def analysis_term(source: str = CEPTOAR, receiver: str = PARTNER, **overrides):
    values = dict(
        kinds=[FlowKind.REPORT_FOR_ANALYSIS],
        categories=["it_failure", "malware"],
        highest_tlp="amber",
        may_relay=False,
        originator="named",
    )
    values.update(overrides)
    return term(source, receiver, **values)


def analysis_agreement(**overrides) -> Agreement:
    return in_force([CEPTOAR, PARTNER], [analysis_term(**overrides)])


@dataclass
class World:
    ceptoar: Organisation
    partner: Organisation
    reporter: User
    secretariat: User
    analyst: User


def world(number: int = 1) -> World:
    ceptoar = organisation(CEPTOAR)
    member = (
        Organisation.objects.filter(pk__in=Membership.objects.filter(ceptoar=ceptoar).values("member_id"))
        .filter(kind=OrganisationKind.MEMBER)
        .order_by("code")
        .first()
    )
    return World(
        ceptoar=ceptoar,
        partner=make_partner(),
        reporter=person(f"analysis-reporter-{number}", member, Role.MEMBER_POC),
        # At the CEPTOAR itself: it sends the members' alerts.
        secretariat=person(f"analysis-secretariat-{number}", ceptoar, Role.SECRETARIAT),
        analyst=person(f"analysis-partner-{number}", organisation(PARTNER), Role.MEMBER_ANALYST),
    )


def sent_report(
    reporter: User,
    *,
    consent: bool,
    event_type: str = EventType.UNAVAILABILITY,
    title: str = REPORT_TITLE,
    triaged_by: User | None = None,
    ceptoar: str = CEPTOAR,
) -> Report:
    """A 第1報 to the electricity CEPTOAR (or `ceptoar`), with or without consent to forwarding for analysis, triaged by
    `triaged_by` when given."""
    now = timezone.now()
    report = start_report(reporter, organisation(ceptoar))
    values = {
        "title": title,
        "event_type": event_type,
        "causes": [Cause.HARDWARE_FAILURE],
        "occurred_at": now - timedelta(hours=3),
        "detected_at": now - timedelta(hours=2),
        "description": "監視端末が応答せず、遠隔監視が一時的に不能となった。",
    }
    save_draft(reporter, draft_of(report), DraftContent(values=values, analysis_consent=consent))
    submit(reporter, draft_of(report))
    if triaged_by is not None:
        set_status(triaged_by, report, "triaged")
    report.refresh_from_db()
    return report
