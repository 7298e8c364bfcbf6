"""Reading AMBER+STRICT or RED through the API is written to the audit log, as on the alert's page."""

from __future__ import annotations

import pytest

from ceptoar.api import services
from ceptoar.sharing.models import AuditEntry, Tlp
from tests.api.conftest import ApiClient
from tests.api.helpers import alerts_path, publish

pytestmark = pytest.mark.django_db


def test_reading_amber_strict_is_audited_and_amber_is_not(client, demo_user):
    hub = demo_user("demo-hub")
    strict = publish(hub, title="Strict", tlp=Tlp.AMBER_STRICT)
    amber = publish(hub, title="Amber", tlp=Tlp.AMBER)
    token, key = services.create_token(demo_user("demo-member"), "SIEM")
    api = ApiClient(client, key)
    before = AuditEntry.objects.count()

    response = api.get(alerts_path(strict.pk))
    assert response.status_code == 200
    body = response.json()
    assert "SECRET-BODY-TEXT" in body["body_markdown"] and "SECRET-BODY-TEXT" in body["body_html"]
    assert "<h2>" in body["body_html"] and "<script>" not in body["body_html"]  # rendered and sanitised
    entry = AuditEntry.objects.get(item_type="alerts.alert", item_id=strict.pk)
    assert (entry.user.username, entry.organisation.code, entry.action, entry.tlp) == (
        "demo-member",
        "banks-0001",
        "read",
        Tlp.AMBER_STRICT,
    )
    assert token.prefix in entry.detail  # which tool read it

    assert api.get(alerts_path(amber.pk)).status_code == 200
    assert AuditEntry.objects.count() == before + 1

    api.get(alerts_path(strict.pk))
    assert AuditEntry.objects.filter(item_id=strict.pk).count() == 2  # every read, not the first only


def test_red_is_audited_for_the_named_reader_and_refused_to_others(api_as, demo_user):
    red = publish(demo_user("demo-hub"), title="Red", tlp=Tlp.RED, people=["demo-member"])
    assert api_as("demo-member").get(alerts_path(red.pk)).status_code == 200
    assert AuditEntry.objects.filter(item_id=red.pk, user__username="demo-member", tlp=Tlp.RED).count() == 1
    # Same organisation, not named: not found, and nothing read, so nothing logged.
    assert api_as("demo-analyst").get(alerts_path(red.pk)).status_code == 404
    assert not AuditEntry.objects.filter(item_id=red.pk, user__username="demo-analyst").exists()


def test_the_list_carries_no_body_and_writes_no_audit(api_as, demo_user):
    strict = publish(demo_user("demo-hub"), title="Strict", tlp=Tlp.AMBER_STRICT)
    before = AuditEntry.objects.count()
    items = api_as("demo-member").get("/api/v1/alerts").json()["items"]
    listed = next(item for item in items if item["id"] == strict.pk)
    assert "SECRET-BODY-TEXT" not in str(listed)
    assert AuditEntry.objects.count() == before
