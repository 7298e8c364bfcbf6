"""Who may open the situation assessment and the summary pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.analysis.access import can_assess, can_write_summaries

pytestmark = pytest.mark.django_db

PAGE = reverse("analysis:situation")
NEW = reverse("analysis:summary_new")


@pytest.mark.parametrize(
    "username", ["demo-member", "demo-analyst", "demo-member2", "demo-water", "demo-auditor"]
)
def test_members_and_auditors_get_403(client_as, username):
    client = client_as(username)
    assert client.get(PAGE).status_code == 403
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"title": "x", "body": "y", "tlp": "amber"}).status_code == 403


@pytest.mark.parametrize("username", ["demo-coordinator", "demo-secretariat", "demo-ministry", "demo-hub"])
def test_coordinators_secretariats_ministries_and_the_hub_may_assess(client_as, english, username, demo_user):
    assert can_assess(demo_user(username))
    assert can_write_summaries(demo_user(username))
    response = client_as(username).get(PAGE)
    assert response.status_code == 200
    content = response.content.decode()
    for section in ("open-alerts", "reports-over-time", "heat-map", "newest-cases", "summaries"):
        assert f'id="{section}"' in content
    assert client_as(username).get(NEW).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_inactive_coordinator_may_not_assess(demo_user):
    user = demo_user("demo-coordinator")
    user.is_active = False
    assert not can_assess(user)
