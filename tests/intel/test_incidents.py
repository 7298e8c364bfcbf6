"""Incidents: who may keep them, linking only reports the keeper may see, the timeline each reader sees,
closing, and refusals that change nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ceptoar.intel.models import Incident, IncidentReport, IncidentStatus
from ceptoar.intel.services import incidents
from ceptoar.intel.services.incident_access import incident_may_keep, incident_may_see_signals
from ceptoar.registry.models import Organisation
from ceptoar.reports.models import ReportComment
from tests.intel import factories_corr as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def banks_reports(demo_user):
    banks = Organisation.objects.get(code="banks")
    return [
        make.report(demo_user(name), ceptoar=banks, hops=[(banks, "secretariat")])
        for name in ("demo-member", "demo-member2")
    ]


@pytest.mark.parametrize(
    ("username", "may"),
    [
        ("demo-hub", True),
        ("demo-secretariat", True),
        ("demo-coordinator", True),
        ("demo-member", False),
        ("demo-analyst", False),
        ("demo-ministry", False),
        ("demo-auditor", False),
    ],
)
def test_who_keeps_incidents(demo_user, username, may):
    assert incident_may_keep(demo_user(username)) is may
    assert incident_may_see_signals(demo_user(username)) is may


def test_create_link_unlink_close(demo_user, banks_reports):
    secretariat = demo_user("demo-secretariat")
    first, second = banks_reports
    incident = incidents.do_create_incident(secretariat, "Same C2 at two banks", [first])
    assert incident.organisation == secretariat.organisation
    assert list(incidents.linked_reports(secretariat, incident)) == [first]

    incidents.do_link_report(secretariat, incident, second)
    assert set(incidents.linked_reports(secretariat, incident)) == {first, second}
    with pytest.raises(ValidationError, match="already linked"):
        incidents.do_link_report(secretariat, incident, second)

    incidents.do_unlink_report(secretariat, incident, first)
    assert list(incidents.linked_reports(secretariat, incident)) == [second]

    incidents.do_close_incident(secretariat, incident)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    with pytest.raises(ValidationError, match="closed"):
        incidents.do_link_report(secretariat, incident, first)
    assert IncidentReport.objects.filter(incident=incident).count() == 1


def test_a_report_the_keeper_may_not_see_is_refused_and_nothing_is_stored(demo_user):
    hub = demo_user("demo-hub")
    banks = Organisation.objects.get(code="banks")
    # Consent reaches the secretariat only: the hub may not see it, even with a hop written at the hub.
    hidden = make.report(demo_user("demo-member"), ceptoar=banks, hops=[(banks, "secretariat")])
    before = Incident.objects.count()
    with pytest.raises(ValidationError) as refused:
        incidents.do_create_incident(hub, "Not mine to link", [hidden])
    assert "reports" in refused.value.message_dict
    assert hidden.reference not in str(refused.value)
    assert Incident.objects.count() == before


def test_members_and_other_keepers_may_not_change_it(demo_user, banks_reports):
    incident = incidents.do_create_incident(demo_user("demo-secretariat"), "Banks", banks_reports[:1])
    for name in ("demo-member", "demo-hub", "demo-securities"):
        with pytest.raises(ValidationError):
            incidents.do_close_incident(demo_user(name), incident)
    with pytest.raises(ValidationError):
        incidents.do_create_incident(demo_user("demo-member"), "Mine", banks_reports[:1])
    with pytest.raises(ValidationError, match="title"):
        incidents.do_create_incident(demo_user("demo-secretariat"), "  ", banks_reports[:1])


def test_timeline_in_time_order_and_within_what_the_reader_may_see(demo_user, banks_reports):
    secretariat = demo_user("demo-secretariat")
    first, second = banks_reports
    ReportComment.objects.create(
        report=first,
        author=secretariat,
        organisation=secretariat.organisation,
        body="internal note",
        internal=True,
    )
    ReportComment.objects.create(
        report=first, author=secretariat, organisation=secretariat.organisation, body="to the reporter"
    )
    case = make.case(secretariat, first, status="review")
    incident = incidents.do_create_incident(secretariat, "Banks", banks_reports)

    entries = incidents.timeline(secretariat, incident)
    kinds = [entry.kind for entry in entries]
    assert kinds.count("version") == 2 and kinds.count("hop") == 2 and kinds.count("comment") == 2
    assert [entry.case for entry in entries if entry.kind == "case"] == [case]
    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)

    # The first report's member, were it shown the incident, would see its own report only, without the
    # internal note or the case under review.
    member = demo_user("demo-member")
    entries = incidents.timeline(member, incident)
    assert {entry.report for entry in entries} == {first}
    assert [e.detail for e in entries if e.kind == "comment"] == ["to the reporter"]
    assert "case" not in [entry.kind for entry in entries]
