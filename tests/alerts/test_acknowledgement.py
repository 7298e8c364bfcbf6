"""Acknowledgement of receipt (受領確認): one per recipient organisation, from the e-mail's signed link (only
by POST) or the portal; forged and expired links record nothing."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.alerts.links import delivery_for_token, make_ack_token
from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia, Recipient
from ceptoar.alerts.services import acknowledgements, drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.models import Delivery, DeliveryKind
from ceptoar.channels.services.sending import send_batch
from ceptoar.sharing.models import Tlp
from tests.signin import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def hub_alert(demo_user, tlp=Tlp.AMBER, **audience):
    hub = demo_user("demo-hub")
    draft = drafts.create_draft(
        hub,
        title="Ransomware campaign against internet banking",
        body="## 概要\n\nSECRET-BODY-TEXT 対策を確認してください。",
        category="malware",
        severity="high",
        tlp=tlp,
        audience=AudienceSpec(**(audience or {"sectors": ["finance"]})),
    )
    return publication.submit(draft, hub)


def fsa_email_delivery(alert) -> Delivery:
    delivery = (
        Delivery.objects.filter(alert=alert, recipient__organisation__code="fsa", kind=DeliveryKind.EMAIL)
        .select_related("contact")
        .order_by("pk")
        .first()
    )
    assert delivery is not None and delivery.contact is not None
    return delivery


def ack_path(delivery) -> str:
    return reverse("alerts:ack_link", args=[make_ack_token(delivery.pk)])


def test_the_hub_alert_goes_to_fsa(demo_user):
    alert = hub_alert(demo_user)
    assert Recipient.objects.filter(alert=alert, organisation__code="fsa").exists()


def test_opening_the_link_records_nothing_and_shows_only_the_title(client, demo_user):
    alert = hub_alert(demo_user)
    response = client.get(ack_path(fsa_email_delivery(alert)))
    html = response.content.decode()
    assert response.status_code == 200
    assert alert.title in html
    assert fsa_email_delivery(alert).recipient.organisation.name in html
    assert "SECRET-BODY-TEXT" not in html  # nobody signed in: no body
    assert 'method="post"' in html
    assert not Acknowledgement.objects.filter(recipient__alert=alert).exists()


def test_posting_the_link_acknowledges_once_for_the_organisation(client, demo_user):
    alert = hub_alert(demo_user)
    delivery = fsa_email_delivery(alert)
    response = client.post(ack_path(delivery))
    assert response.status_code == 200
    ack = Acknowledgement.objects.get(recipient__alert=alert)
    assert ack.via == AcknowledgementVia.EMAIL_LINK
    assert ack.by_contact_id == delivery.contact_id
    assert ack.recipient_id == delivery.recipient_id
    assert ack.by_user is None
    first_at = ack.acknowledged_at

    # A second click, and another POC of fsa on the portal: the first stands, no error for the person.
    again = client.post(ack_path(delivery))
    assert again.status_code == 200 and "already been confirmed" in again.content.decode()
    colleague = User.objects.create_user("fsa-2", organisation=demo_user("demo-ministry").organisation)
    RoleGrant.objects.create(user=colleague, role=Role.MINISTRY_LIAISON)
    sign_in(client, colleague)
    portal = client.post(reverse("alerts:acknowledge", args=[alert.pk]))
    assert portal.status_code == 302
    acks = Acknowledgement.objects.filter(recipient__alert=alert)
    assert acks.count() == 1
    assert acks.get().via == AcknowledgementVia.EMAIL_LINK and acks.get().acknowledged_at == first_at


def test_a_tampered_link_is_refused_and_records_nothing(client, demo_user):
    alert = hub_alert(demo_user)
    delivery = fsa_email_delivery(alert)
    token = make_ack_token(delivery.pk)
    value, _sep, rest = token.partition(":")
    other = Delivery.objects.filter(alert=alert, kind=DeliveryKind.EMAIL).exclude(pk=delivery.pk).first()
    forged = f"{other.pk}:{rest}"  # someone else's delivery under this signature
    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB")):
        response = client.post(reverse("alerts:ack_link", args=[bad]))
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert not Acknowledgement.objects.filter(recipient__alert=alert).exists()


def test_an_expired_link_is_refused_and_records_nothing(client, demo_user, monkeypatch):
    alert = hub_alert(demo_user)
    delivery = fsa_email_delivery(alert)
    real_time = time.time
    with monkeypatch.context() as patch:
        # Signed 15 days ago; the default life of a link is 14 days.
        patch.setattr(time, "time", lambda: real_time() - timedelta(days=15).total_seconds())
        old_token = make_ack_token(delivery.pk)
    response = client.post(reverse("alerts:ack_link", args=[old_token]))
    html = response.content.decode()
    assert response.status_code == 400
    assert "expired" in html and "portal" in html
    assert not Acknowledgement.objects.filter(recipient__alert=alert).exists()
    # The same link within a longer validity is accepted: it is the age that was refused.
    with override_settings(CEPTOAR_ACK_LINK_MAX_AGE_DAYS=30):
        assert client.post(reverse("alerts:ack_link", args=[old_token])).status_code == 200
    assert Acknowledgement.objects.filter(recipient__alert=alert).count() == 1


def test_the_ministry_acknowledges_on_the_portal(client_as, demo_user):
    alert = hub_alert(demo_user)
    client = client_as("demo-ministry")
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "Acknowledge receipt for" in page
    response = client.post(reverse("alerts:acknowledge", args=[alert.pk]))
    assert response.status_code == 302
    ack = Acknowledgement.objects.get(recipient__alert=alert)
    assert ack.recipient.organisation.code == "fsa"
    assert ack.via == AcknowledgementVia.PORTAL and ack.by_user == demo_user("demo-ministry")
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "Acknowledge receipt for" not in page and "confirmed receipt on" in page


def test_another_organisation_cannot_acknowledge(client_as, demo_user):
    alert = hub_alert(demo_user)
    # banks-0001 is in the audience (it sees the alert) but the hub sent it to fsa, not to the bank.
    client = client_as("demo-member")
    assert client.get(reverse("alerts:detail", args=[alert.pk])).status_code == 200
    assert client.post(reverse("alerts:acknowledge", args=[alert.pk])).status_code == 403
    assert not Acknowledgement.objects.filter(recipient__alert=alert).exists()


def test_acknowledge_is_idempotent_in_the_service(demo_user):
    alert = hub_alert(demo_user)
    recipient = Recipient.objects.get(alert=alert, organisation__code="fsa")
    first, created = acknowledgements.acknowledge(recipient, AcknowledgementVia.PHONE, note="by phone")
    second, created_again = acknowledgements.acknowledge(
        recipient, AcknowledgementVia.PORTAL, by_user=demo_user("demo-ministry")
    )
    assert (created, created_again) == (True, False)
    assert second.pk == first.pk and second.via == AcknowledgementVia.PHONE


def test_amber_mail_carries_the_ack_link_and_red_does_not(demo_user):
    amber = hub_alert(demo_user)
    delivery = fsa_email_delivery(amber)
    mail.outbox = []
    send_batch([delivery.pk])
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    links = re.findall(r"(\S+/alerts/ack/(\S+)/)", body)
    assert len(links) == 1
    url, token = links[0]
    assert url.startswith(settings.CEPTOAR_BASE_URL)
    assert delivery_for_token(token).pk == delivery.pk
    assert f"/alerts/{amber.pk}/" in body  # the portal line stays

    red = hub_alert(demo_user, tlp=Tlp.RED, people=["demo-member"])
    notices = list(Delivery.objects.filter(alert=red, person__isnull=False).values_list("pk", flat=True))
    assert notices
    mail.outbox = []
    send_batch(notices)
    assert mail.outbox and all("/alerts/ack/" not in message.body for message in mail.outbox)


def test_receipt_times_are_measured_from_publication(demo_user):
    alert = hub_alert(demo_user)
    delivery = fsa_email_delivery(alert)
    send_batch([delivery.pk])
    acknowledgements.acknowledge(delivery.recipient, AcknowledgementVia.PORTAL)
    rows = {row.recipient.organisation.code: row for row in acknowledgements.receipt_times(alert)}
    fsa = rows["fsa"]
    assert fsa.time_to_delivery is not None and fsa.time_to_delivery >= timedelta(0)
    assert fsa.time_to_acknowledgement is not None and fsa.time_to_acknowledgement >= timedelta(0)
    assert fsa.acknowledged_at >= fsa.first_sent_at
    others = [row for code, row in rows.items() if code != "fsa"]
    assert all(row.acknowledged_at is None and row.time_to_acknowledgement is None for row in others)


def test_the_sender_sees_who_has_confirmed(client_as, demo_user):
    alert = hub_alert(demo_user)
    recipient = Recipient.objects.get(alert=alert, organisation__code="fsa")
    total = Recipient.objects.filter(alert=alert).count()
    acknowledgements.acknowledge(recipient, AcknowledgementVia.PHONE)
    page = client_as("demo-hub").get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert f"1 of {total} organisations have confirmed receipt." in page
    assert "Telephone" in page


def test_the_link_post_needs_no_csrf_token_but_then_names_nobody(demo_user):
    """A script or another site may post the link (it is the credential), but cannot make the
    confirmation appear in the name of whoever is signed in."""
    from django.test import Client

    alert = hub_alert(demo_user)
    delivery = fsa_email_delivery(alert)
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, demo_user("demo-ministry"))
    response = browser.post(ack_path(delivery))
    assert response.status_code == 200
    ack = Acknowledgement.objects.get(recipient__alert=alert)
    assert ack.via == AcknowledgementVia.EMAIL_LINK
    assert ack.by_user is None


def test_the_link_post_from_its_own_page_names_the_signed_in_user(demo_user):
    from django.test import Client

    alert = hub_alert(demo_user)
    delivery = fsa_email_delivery(alert)
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, demo_user("demo-ministry"))
    page = browser.get(ack_path(delivery)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    browser.post(ack_path(delivery), {"csrfmiddlewaretoken": token})
    assert Acknowledgement.objects.get(recipient__alert=alert).by_user == demo_user("demo-ministry")
