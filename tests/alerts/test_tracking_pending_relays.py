"""Relays not yet made: ministries and CEPTOARs that received the alert and have not passed it on."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.alerts import tracking
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.sharing.models import Tlp
from tests.alerts.test_tracking_support import acknowledge, hub_alert, relay_as, relay_down

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _pending(client, alert) -> list[str]:
    response = client.get(reverse("alerts:tracking", args=[alert.pk]))
    assert response.status_code == 200
    return [row.recipient.organisation.code for row in response.context["summary"].pending_relays]


def test_those_who_received_and_did_not_relay_are_listed_until_they_do(client_as, demo_user):
    original = hub_alert(demo_user, ceptoars=["gas", "aviation", "medical"])
    relay_down(original, skip=("mhlw", "gas"))
    acknowledge(original, "gas")
    client = client_as("demo-hub")
    assert _pending(client, original) == ["mhlw", "gas"]  # longest waiting first

    html = client.get(reverse("alerts:tracking", args=[original.pk])).content.decode()
    section = html.split('id="pending-relays"')[1].split("</section>")[0]
    assert (
        "厚生労働省" in section and "GAS CEPTOAR" in section and "経済産業省" in section
    )  # gas got it from METI
    assert "2 organisations have received the alert but have not relayed it yet." in section

    relay_as(original.descendants.get(origin_organisation__code="meti"), "gas")
    assert _pending(client, original) == ["mhlw"]
    relay_down(original)  # MHLW relays, then the medical CEPTOAR
    assert _pending(client, original) == []
    html = client.get(reverse("alerts:tracking", args=[original.pk])).content.decode()
    assert "has relayed it." in html.split('id="pending-relays"')[1]


def test_an_alert_marked_no_onward_relay_expects_none(client_as, demo_user):
    hub = demo_user("demo-hub")
    draft = drafts.create_draft(
        hub,
        title="転送禁止",
        body="",
        category="other",
        severity="high",
        tlp=Tlp.GREEN,
        audience=AudienceSpec(ceptoars=["gas"]),
        no_onward_relay=True,
    )
    alert = publication.submit(draft, hub)
    assert _pending(client_as("demo-hub"), alert) == []


def test_a_relay_waiting_for_the_originators_approval_says_so(demo_user):
    hub = demo_user("demo-hub")
    draft = drafts.create_draft(
        hub,
        title="発信元承認が必要",
        body="",
        category="other",
        severity="high",
        tlp=Tlp.GREEN,
        audience=AudienceSpec(ceptoars=["gas"]),
        relay_needs_originator_approval=True,
    )
    alert = publication.submit(draft, hub)
    rows = tracking.pending_relays(tracking.subtree(alert))
    assert [(row.recipient.organisation.code, row.blocked_reason) for row in rows] == [
        ("meti", "waits for the originator's approval")
    ]
