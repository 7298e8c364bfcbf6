"""The alert admin lists only what the visibility policy lets the account see, and changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.accounts.models import User
from ceptoar.registry.models import Organisation
from tests.alerts.pages import published
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def _superuser(code: str) -> User:
    return User.objects.create_superuser(
        f"admin-{code}", password="not-used-here", organisation=Organisation.objects.get(code=code)
    )


def test_the_admin_shows_alerts_through_the_policy(client, demo_user):
    alert = published(demo_user("demo-hub"), title="Finance only alert")
    sign_in(client, _superuser("banks-0002"))
    assert "Finance only alert" in client.get(reverse("admin:alerts_alert_changelist")).content.decode()
    sign_in(client, _superuser("water-0001"))
    assert "Finance only alert" not in client.get(reverse("admin:alerts_alert_changelist")).content.decode()
    assert client.get(reverse("admin:alerts_alert_change", args=[alert.pk])).status_code == 404


def test_an_alert_cannot_be_changed_or_deleted_in_the_admin(client, demo_user):
    alert = published(demo_user("demo-hub"), title="Kept as sent")
    sign_in(client, _superuser("nisc"))
    response = client.post(reverse("admin:alerts_alert_change", args=[alert.pk]), {"title": "Rewritten"})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.title == "Kept as sent"
    assert client.get(reverse("admin:alerts_alert_delete", args=[alert.pk])).status_code == 403
    assert client.get(reverse("admin:alerts_alert_add")).status_code == 403
