"""Confirming receipt through the API: 201 for the first confirmation, 200 with the same one afterwards,
409 for an organisation the alert was not sent to, 404 for an alert the caller may not see."""

from __future__ import annotations

import pytest
from django.test import Client

from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia, Recipient
from ceptoar.alerts.services import acknowledgements, publication
from tests.api.conftest import ApiClient
from tests.api.helpers import alerts_path, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub_alert(demo_user):
    # The hub sends to the ministries: FSA is its recipient; the banks see it through the audience only.
    return publish(demo_user("demo-hub"))


def test_the_first_confirmation_is_created_and_then_returned(api_as, demo_user, hub_alert):
    ministry = api_as("demo-ministry")
    state = ministry.get(alerts_path(hub_alert.pk, "/acknowledgement")).json()
    assert (
        state["is_recipient"] is True and state["acknowledged"] is False and state["acknowledgement"] is None
    )
    assert state["organisation"]["code"] == "fsa"

    created = ministry.post(alerts_path(hub_alert.pk, "/acknowledge"), {"note": "Night desk has it."})
    assert created.status_code == 201
    body = created.json()
    assert body["organisation"]["code"] == "fsa" and body["via"] == "api"
    assert body["by_user"] == "demo-ministry" and body["note"] == "Night desk has it."
    ack = Acknowledgement.objects.get(recipient__alert=hub_alert)
    assert (ack.via, ack.by_user, ack.note) == (
        AcknowledgementVia.API,
        demo_user("demo-ministry"),
        "Night desk has it.",
    )

    # Again (a retrying client, a second tool): the first stands, and is what comes back.
    again = ministry.post(alerts_path(hub_alert.pk, "/acknowledge"), {"note": "second"})
    assert again.status_code == 200
    assert again.json()["note"] == "Night desk has it."
    assert again.json()["acknowledged_at"] == body["acknowledged_at"]
    assert Acknowledgement.objects.filter(recipient__alert=hub_alert).count() == 1

    state = ministry.get(alerts_path(hub_alert.pk, "/acknowledgement")).json()
    assert state["acknowledged"] is True and state["acknowledgement"]["via"] == "api"


def test_a_confirmation_made_elsewhere_is_returned_with_200(api_as, hub_alert):
    recipient = Recipient.objects.get(alert=hub_alert, organisation__code="fsa")
    first, _created = acknowledgements.acknowledge(recipient, AcknowledgementVia.PHONE, note="by phone")
    response = api_as("demo-ministry").post(alerts_path(hub_alert.pk, "/acknowledge"))  # no body at all
    assert response.status_code == 200
    assert response.json()["via"] == "phone" and response.json()["note"] == "by phone"
    assert Acknowledgement.objects.get(recipient__alert=hub_alert).pk == first.pk


def test_an_organisation_the_alert_was_not_sent_to_gets_409(api_as, hub_alert):
    member = api_as("demo-member")
    assert member.get(alerts_path(hub_alert.pk)).status_code == 200  # it sees the alert …
    response = member.post(alerts_path(hub_alert.pk, "/acknowledge"), {"note": "x"})
    assert response.status_code == 409  # … but it was not sent to it
    detail = response.json()["detail"]
    assert f"Alert {hub_alert.pk} was not sent to your organisation" in detail and "relay" in detail
    assert not Acknowledgement.objects.filter(recipient__alert=hub_alert).exists()
    state = member.get(alerts_path(hub_alert.pk, "/acknowledgement")).json()
    assert state["is_recipient"] is False and state["acknowledged"] is False
    assert state["organisation"]["code"] == "banks-0001"


def test_an_alert_the_caller_may_not_see_is_404_and_nothing_is_written(api_as, hub_alert):
    response = api_as("demo-water").post(alerts_path(hub_alert.pk, "/acknowledge"), {"note": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "No such alert, or not one you may see."}
    assert not Acknowledgement.objects.filter(recipient__alert=hub_alert).exists()


def test_a_member_confirms_the_relay_that_reached_it(api_as, demo_user, hub_alert):
    fsa_relay = publication.relay(hub_alert, demo_user("demo-ministry"))
    banks_relay = publication.relay(fsa_relay, demo_user("demo-secretariat"))
    assert Recipient.objects.filter(alert=banks_relay, organisation__code="banks-0001").exists()
    member = api_as("demo-member")
    assert member.post(alerts_path(hub_alert.pk, "/acknowledge")).status_code == 409
    response = member.post(alerts_path(banks_relay.pk, "/acknowledge"))
    assert response.status_code == 201
    ack = Acknowledgement.objects.get(
        recipient__alert=banks_relay, recipient__organisation__code="banks-0001"
    )
    assert ack.via == AcknowledgementVia.API and ack.by_user.username == "demo-member"
    # A colleague of the same organisation sees the same receipt.
    state = api_as("demo-analyst").get(alerts_path(banks_relay.pk, "/acknowledgement")).json()
    assert state["acknowledged"] is True and state["acknowledgement"]["by_user"] == "demo-member"


def test_the_api_needs_no_csrf_token(token_for, hub_alert):
    # A machine has no cookie to pair a CSRF token with; the bearer token is not sent by browsers on its own.
    client = ApiClient(Client(enforce_csrf_checks=True), token_for("demo-ministry"))
    assert client.post(alerts_path(hub_alert.pk, "/acknowledge")).status_code == 201
