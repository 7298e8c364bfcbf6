"""A report sent through the reporter's services, for the triage tests (kept here so that the triage tests
depend on nothing but the services), and a check that it is what the tests assume."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ceptoar.accounts.models import RoleGrant, User
from ceptoar.registry.models import CeptoarProfile, Organisation
from ceptoar.reports import access
from ceptoar.reports.models import Cause, EventType, Report, Stage
from ceptoar.reports.services.drafts import DraftContent, save_draft, start_follow_up, start_report
from ceptoar.reports.services.submission import submit
from ceptoar.reports.versions import draft_of

pytestmark = pytest.mark.django_db


def send_report(
    user: User,
    scope: str = "secretariat",
    title: str = "Internet banking unavailable after DDoS",
    detected_ago: timedelta = timedelta(hours=2),
    final: bool = False,
) -> Report:
    """A 第1報 that `user` (a member's POC) sends to its first CEPTOAR; `final` sends a 最終報 after it."""
    now = timezone.now()
    ceptoar = access.ceptoars_reportable_by(user).order_by("pk").first()
    report = start_report(user, ceptoar, scope=scope)
    draft = draft_of(report)
    values = {
        "title": title,
        "event_type": EventType.UNAVAILABILITY,
        "causes": [Cause.DOS],
        "occurred_at": now - detected_ago - timedelta(minutes=30),
        "detected_at": now - detected_ago,
        "description": "Mass access from many addresses made internet banking unavailable.",
    }
    save_draft(user, draft, DraftContent(values=values))
    submit(user, draft)
    if final:
        follow_up = start_follow_up(user, report)
        submit(user, follow_up, stage=Stage.FINAL)
    report.refresh_from_db()
    return report


def person(username: str, organisation: Organisation, *roles: str) -> User:
    user = User.objects.create_user(username, organisation=organisation)
    for role in roles:
        RoleGrant.objects.create(user=user, role=role)
    return user


def secretariat_organisation(ceptoar: Organisation) -> Organisation:
    """The organisation running the CEPTOAR's secretariat (全国銀行協会 for the banks' CEPTOAR)."""
    return CeptoarProfile.objects.get(ceptoar=ceptoar).secretariat


def test_a_sent_report_is_new_with_its_secretariat_hop(demo_user):
    report = send_report(demo_user("demo-member"), scope="ministry", final=True)
    assert report.status == "new"
    assert report.scope == "ministry"
    assert report.has_final
    assert list(report.hops.values_list("level", "organisation__code")) == [("secretariat", "banks")]
