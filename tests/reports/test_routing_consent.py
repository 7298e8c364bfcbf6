"""The consent boundary: the original report goes no further than its reporter allowed, whatever the
secretariat tries, and each organisation it reaches records its own receipt."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ceptoar.reports import tracking
from ceptoar.reports.models import ReportHop
from ceptoar.reports.services.receipts import record_receipt
from ceptoar.reports.services.routing import forward
from ceptoar.sharing import policy
from tests.reports.test_triage_support import send_report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

OUTSIDERS = ("demo-hub", "demo-ministry")


def _sees_anywhere(client, report) -> dict[str, bool]:
    """Every place built here where a report could show, for one logged-in client."""
    queue = client.get(reverse("reports:triage_queue"))
    received = client.get(reverse("reports:received"), {"q": report.reference})
    detail = client.get(reverse("reports:detail", args=[report.pk]))
    return {
        "queue": queue.status_code == 200 and report.reference in queue.content.decode(),
        # Searched by reference (which the search box repeats), found by its title in the list.
        "received": report.title in received.content.decode(),
        "detail": detail.status_code != 404,
    }


def test_a_secretariat_only_report_never_reaches_the_ministry_or_the_hub(client_as, demo_user):
    secretariat = demo_user("demo-secretariat")
    report = send_report(demo_user("demo-member"), scope="secretariat", title="Secretariat eyes only")
    for levels in (["ministry"], ["hub"], ["ministry", "hub"]):
        with pytest.raises(ValidationError):
            forward(secretariat, report, levels)
    # Through the page as well.
    client_as("demo-secretariat").post(reverse("reports:forward", args=[report.pk]), {"to_levels": ["hub"]})
    assert list(report.hops.values_list("level", flat=True)) == ["secretariat"]
    for username in OUTSIDERS:
        user = demo_user(username)
        assert not policy.may_see(user, report)
        assert not policy.visible_reports(user).filter(pk=report.pk).exists()
        assert _sees_anywhere(client_as(username), report) == {
            "queue": False,
            "received": False,
            "detail": False,
        }
        assert tracking.comments_for(user, report).count() == 0
    # The secretariat itself does see it.
    assert _sees_anywhere(client_as("demo-secretariat"), report)["queue"]


def test_a_hop_beyond_the_consent_still_shows_nothing(client_as, demo_user):
    """Even a hop row written past the consent (by a bug, or by hand) does not open the original."""
    report = send_report(demo_user("demo-member"), scope="secretariat")
    ReportHop.objects.create(
        report=report,
        organisation=demo_user("demo-hub").organisation,
        level="hub",
        sent_by=demo_user("demo-secretariat"),
    )
    assert not policy.may_see(demo_user("demo-hub"), report)
    assert _sees_anywhere(client_as("demo-hub"), report) == {
        "queue": False,
        "received": False,
        "detail": False,
    }
    record_receipt(demo_user("demo-hub"), report)
    assert report.hops.get(level="hub").received_at is None


def test_a_ministry_scope_report_reaches_the_ministry_not_the_hub(client_as, demo_user):
    secretariat, ministry, hub = (
        demo_user("demo-secretariat"),
        demo_user("demo-ministry"),
        demo_user("demo-hub"),
    )
    report = send_report(demo_user("demo-member"), scope="ministry", title="For the ministry too")
    assert not policy.may_see(ministry, report)  # not before it is forwarded
    forward(secretariat, report, ["ministry"])
    with pytest.raises(ValidationError):
        forward(secretariat, report, ["hub"])
    assert policy.may_see(ministry, report)
    assert _sees_anywhere(client_as("demo-ministry"), report) == {
        "queue": False,
        "received": True,
        "detail": True,
    }
    assert not policy.may_see(hub, report)
    assert _sees_anywhere(client_as("demo-hub"), report) == {
        "queue": False,
        "received": False,
        "detail": False,
    }


def test_receipt_is_recorded_per_hop(client_as, demo_user):
    secretariat, ministry, hub = (
        demo_user("demo-secretariat"),
        demo_user("demo-ministry"),
        demo_user("demo-hub"),
    )
    report = send_report(demo_user("demo-member"), scope="hub")
    forward(secretariat, report, ["ministry", "hub"])

    def received() -> dict[str, str | None]:
        return {
            hop.level: (hop.received_by.username if hop.received_by else None)
            for hop in report.hops.select_related("received_by")
        }

    assert received() == {"secretariat": None, "ministry": None, "hub": None}
    # The ministry opens the report's page: only its own hop is received.
    assert client_as("demo-ministry").get(reverse("reports:detail", args=[report.pk])).status_code == 200
    assert received() == {"secretariat": None, "ministry": "demo-ministry", "hub": None}
    record_receipt(hub, report)
    record_receipt(secretariat, report)
    assert received() == {"secretariat": "demo-secretariat", "ministry": "demo-ministry", "hub": "demo-hub"}
    first_time = report.hops.get(level="ministry").received_at
    record_receipt(ministry, report)
    assert report.hops.get(level="ministry").received_at == first_time
