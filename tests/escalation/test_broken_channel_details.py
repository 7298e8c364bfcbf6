"""Who reads how a channel failed: those who fix channels (hub staff, secretariats, coordinators) read the
technical reason — addresses, ports, the operating system's words; a member reads only the kind of failure,
which tells it nothing about the network behind the platform."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.accounts import access
from ceptoar.channels.models import BrokenChannel, Delivery, FailureCause
from ceptoar.channels.services.sending import send_batch
from ceptoar.registry.models import ChannelKind
from tests.channels.helpers import add_channel, publish
from tests.fake_dns import fake_dns_fixture  # noqa: F401 - the fake_dns fixture
from tests.processes import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def fail(demo_user, value: str) -> BrokenChannel:
    """A webhook of banks-0001 (demo-member's own organisation) that fails for good on a real send."""
    channel = add_channel("banks-0001", ChannelKind.WEBHOOK, value)
    alert = publish(demo_user("demo-secretariat"), ceptoars=["banks"])
    send_batch([Delivery.objects.get(alert=alert, channel=channel).pk])
    return BrokenChannel.objects.get(channel=channel, cleared_at__isnull=True)


def page(client_as, username: str) -> str:
    response = client_as(username).get(reverse("escalation:broken_channels"))
    assert response.status_code == 200
    return response.content.decode()


def row(html: str, breakage: BrokenChannel) -> str:
    start = html.index(f'id="broken-{breakage.pk}"')
    return html[start : html.index("</tr>", start)]


def test_a_refused_internal_address_shows_its_kind_to_the_member_and_the_address_to_the_secretariat(
    demo_user, client_as, fake_dns
):
    fake_dns.add("hooks.banks-0001.example.jp", "10.9.8.7")
    breakage = fail(demo_user, "http://hooks.banks-0001.example.jp:8443/alerts")
    assert breakage.cause == FailureCause.ADDRESS_REFUSED and "10.9.8.7" in breakage.reason

    member = row(page(client_as, "demo-member"), breakage)
    assert "The address is not a public internet address" in member
    for detail in ("10.9.8.7", "resolves to", "private", "CEPTOAR_OUTBOUND_ALLOW", "data-detail"):
        assert detail not in member

    secretariat = row(page(client_as, "demo-secretariat"), breakage)
    assert "The address is not a public internet address" in secretariat
    assert "hooks.banks-0001.example.jp resolves to 10.9.8.7" in secretariat


def test_a_receiver_that_never_answered_shows_no_error_text_to_the_member(demo_user, client_as, settings):
    settings.CEPTOAR_OUTBOUND_ALLOW = ["127.0.0.1"]
    settings.CEPTOAR_DELIVERY_MAX_ATTEMPTS = 1
    breakage = fail(demo_user, f"http://127.0.0.1:{free_port()}/alerts")  # nothing listens there
    assert breakage.cause == FailureCause.UNREACHABLE and "ConnectionRefusedError" in breakage.reason

    member = row(page(client_as, "demo-member"), breakage)
    assert "The receiver could not be reached." in member
    for detail in ("ConnectionRefusedError", "Errno", "Connection refused", "gave up"):
        assert detail not in member
    assert "ConnectionRefusedError" in row(page(client_as, "demo-hub"), breakage)


@pytest.mark.parametrize(
    ("username", "sees"),
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
def test_who_reads_the_technical_reason(demo_user, username, sees):
    assert access.sees_delivery_details(demo_user(username)) is sees
