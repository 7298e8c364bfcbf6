"""The API shows each person exactly the published alerts `sharing.policy.visible_alerts` lets them see,
newest first, page by page; an alert they may not see answers like one that does not exist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ceptoar.alerts.models import Alert
from ceptoar.alerts.services import closing, drafts
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.sharing import policy
from ceptoar.sharing.models import Tlp
from tests.api.helpers import alerts_path, publish

pytestmark = pytest.mark.django_db


def all_ids(api) -> list[int]:
    ids, offset = [], 0
    while True:
        page = api.get("/api/v1/alerts", {"limit": 200, "offset": offset}).json()
        ids += [item["id"] for item in page["items"]]
        offset += 200
        if offset >= page["count"]:
            return ids


def test_a_member_does_not_see_an_alert_for_another_sector(api_as, demo_user):
    hub = demo_user("demo-hub")
    water = publish(hub, title="Water only", tlp=Tlp.GREEN, sectors=["water"])
    finance = publish(hub, title="Finance only", tlp=Tlp.GREEN, sectors=["finance"])

    member = api_as("demo-member")
    ids = all_ids(member)
    assert finance.pk in ids and water.pk not in ids
    assert water.pk in all_ids(api_as("demo-water"))

    hidden = member.get(alerts_path(water.pk))
    missing = member.get(alerts_path(Alert.objects.order_by("-pk").first().pk + 1000))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"detail": "No such alert, or not one you may see."}
    for tail in ("/acknowledge", "/acknowledgement"):
        call = member.post if tail == "/acknowledge" else member.get
        assert call(alerts_path(water.pk, tail)).json() == missing.json()

    shown = member.get(alerts_path(finance.pk))
    assert shown.status_code == 200 and shown.json()["title"] == "Finance only"


def test_each_list_is_what_the_policy_says(api_as, demo_user):
    hub, secretariat = demo_user("demo-hub"), demo_user("demo-secretariat")
    publish(hub, title="Finance AMBER")
    publish(hub, title="Water GREEN", tlp=Tlp.GREEN, sectors=["water"])
    publish(hub, title="Finance AMBER+STRICT", tlp=Tlp.AMBER_STRICT)
    publish(hub, title="Red for one member", tlp=Tlp.RED, people=["demo-member"])
    publish(hub, title="Community CLEAR", tlp=Tlp.CLEAR, community=True)
    closed = publish(hub, title="Closed finance", tlp=Tlp.GREEN)
    closing.close(closed, hub)
    # A draft is seen on the portal by its organisation, never through the API.
    draft = drafts.create_draft(
        secretariat,
        title="Banks draft",
        body="",
        category="other",
        severity="low",
        tlp=Tlp.GREEN,
        audience=AudienceSpec(ceptoars=["banks"]),
    )

    for username in (
        "demo-member",
        "demo-analyst",
        "demo-member2",
        "demo-water",
        "demo-ministry",
        "demo-secretariat",
    ):
        user = demo_user(username)
        expected = set(
            policy.visible_alerts(user)
            .filter(status__in=policy.SHARED_ALERT_STATUSES)
            .values_list("pk", flat=True)
        )
        got = all_ids(api_as(username))
        assert len(got) == len(set(got)), username  # no alert twice
        assert set(got) == expected, username
        assert draft.pk not in got
    # The policy really tells them apart: the named member reads the RED alert, a colleague does not.
    assert len(all_ids(api_as("demo-member"))) == len(all_ids(api_as("demo-analyst"))) + 1
    assert closed.pk in all_ids(api_as("demo-member"))


def test_newest_first_paginated_and_since(api_as, demo_user):
    hub = demo_user("demo-hub")
    start = timezone.now() + timedelta(days=1)  # later than anything else in the database
    made = []
    for hours in (0, 2, 1):
        alert = publish(hub, title=f"Published +{hours}h", tlp=Tlp.GREEN)
        Alert.objects.filter(pk=alert.pk).update(published_at=start + timedelta(hours=hours))
        made.append(alert.pk)
    api = api_as("demo-member")

    page = api.get("/api/v1/alerts", {"limit": 2, "since": start.isoformat()}).json()
    assert page["count"] == 3 and (page["limit"], page["offset"]) == (2, 0)
    assert [item["title"] for item in page["items"]] == ["Published +2h", "Published +1h"]
    rest = api.get("/api/v1/alerts", {"limit": 2, "offset": 2, "since": start.isoformat()}).json()
    assert [item["title"] for item in rest["items"]] == ["Published +0h"]

    later = api.get("/api/v1/alerts", {"since": (start + timedelta(hours=1)).isoformat()}).json()
    assert {item["title"] for item in later["items"]} == {"Published +1h", "Published +2h"}

    # Without an offset the time is Japan time (the site's time zone).
    local = timezone.localtime(start + timedelta(hours=1)).replace(tzinfo=None)
    naive = api.get("/api/v1/alerts", {"since": local.isoformat()}).json()
    assert naive["count"] == 2

    first = api.get("/api/v1/alerts", {"limit": 1}).json()["items"][0]
    assert first["title"] == "Published +2h"
    assert set(first) >= {"id", "tlp", "tlp_label", "origin_organisation", "published_at", "url"}
    assert "body_markdown" not in first and "body_html" not in first
    assert first["origin_organisation"]["code"] == "nisc"
    assert first["url"].endswith(f"/alerts/{made[1]}/")
