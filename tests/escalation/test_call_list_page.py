"""The secretariat's call list: phone numbers of organisations still silent after T3, and a log of each
call. Reached confirms receipt by phone; a wrong number is flagged for correction."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia
from ceptoar.channels.models import BrokenChannel
from ceptoar.escalation import calls, services
from ceptoar.escalation.models import Call, CallOutcome
from ceptoar.registry import queries as registry_queries
from ceptoar.registry.models import ChannelKind, Contact, ContactChannel
from tests.escalation.helpers import after, banks_alert, recipient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def listed(demo_user):
    alert = banks_alert(demo_user)
    for minutes in (31, 61, 121):
        services.run_due_follow_ups(now=after(alert, minutes))
    return alert


def phone_of(entry) -> ContactChannel:
    return ContactChannel.objects.filter(
        contact__organisation=entry.organisation, kind=ChannelKind.PHONE, contact__is_active=True
    ).first()


def test_the_list_shows_each_silent_organisation_with_its_numbers(client_as, listed):
    entry = recipient(listed, "banks-0002")
    response = client_as("demo-secretariat").get(reverse("escalation:call_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert entry.organisation.name in html or entry.organisation.code in html
    assert f'href="tel:{phone_of(entry).value}"' in html


def test_reached_confirms_receipt_by_phone_and_takes_it_off_the_list(client_as, listed, demo_user):
    entry = recipient(listed, "banks-0002")
    channel = phone_of(entry)
    response = client_as("demo-secretariat").post(
        reverse("escalation:log_call", args=[entry.pk]),
        {
            f"r{entry.pk}-channel": channel.pk,
            f"r{entry.pk}-outcome": CallOutcome.REACHED,
            f"r{entry.pk}-note": "総務部 山田様",
        },
        follow=True,
    )
    assert response.status_code == 200
    ack = Acknowledgement.objects.get(recipient=entry)
    assert ack.via == AcknowledgementVia.PHONE
    assert ack.by_user == demo_user("demo-secretariat")
    call = Call.objects.get(recipient=entry)
    assert (call.number, call.outcome) == (channel.value, CallOutcome.REACHED)
    assert not calls.call_list(demo_user("demo-secretariat")).filter(pk=entry.pk).exists()


def test_wrong_number_flags_the_channel_and_the_contact(client_as, listed):
    entry = recipient(listed, "banks-0003")
    channel = phone_of(entry)
    client = client_as("demo-secretariat")
    client.post(
        reverse("escalation:log_call", args=[entry.pk]),
        {f"r{entry.pk}-channel": channel.pk, f"r{entry.pk}-outcome": CallOutcome.WRONG_NUMBER},
    )
    assert BrokenChannel.objects.filter(channel=channel, cleared_at__isnull=True).exists()
    channel.contact.refresh_from_db()
    assert channel.contact.reverification_requested_at is not None
    assert channel.value in channel.contact.reverification_reason
    stale = registry_queries.stale_contacts(Contact.objects.filter(pk=channel.contact_id), days=3650)
    assert stale.exists(), "a wrong number puts its contact on the freshness page whatever its date"
    assert not Acknowledgement.objects.filter(recipient=entry).exists()
    page = client.get(reverse("escalation:broken_channels")).content.decode()
    assert channel.value in page and "Wrong number" in page


def test_no_number_is_refused_and_nothing_written(client_as, listed):
    entry = recipient(listed, "banks-0002")
    response = client_as("demo-secretariat").post(
        reverse("escalation:log_call", args=[entry.pk]),
        {
            f"r{entry.pk}-channel": "",
            f"r{entry.pk}-number": " ",
            f"r{entry.pk}-outcome": CallOutcome.NO_ANSWER,
        },
        follow=True,
    )
    assert "Choose the number you called, or type it." in response.content.decode()
    assert not Call.objects.exists()


def test_a_number_of_another_organisation_is_refused(demo_user, listed):
    entry = recipient(listed, "banks-0002")
    other = phone_of(recipient(listed, "banks-0003"))
    with pytest.raises(Exception, match="not one of this organisation"):
        calls.log_call(demo_user("demo-secretariat"), entry.pk, other.pk, "", CallOutcome.WRONG_NUMBER)
    assert not Call.objects.exists()
    assert not BrokenChannel.objects.filter(channel=other).exists()


@pytest.mark.parametrize("username", ["demo-coordinator", "demo-member", "demo-hub"])
def test_others_cannot_log_calls_on_this_list(client_as, listed, username):
    entry = recipient(listed, "banks-0002")
    response = client_as(username).post(
        reverse("escalation:log_call", args=[entry.pk]),
        {f"r{entry.pk}-number": "03-1111-2222", f"r{entry.pk}-outcome": CallOutcome.REACHED},
    )
    assert response.status_code in (403, 404)
    assert not Call.objects.exists()
    assert not Acknowledgement.objects.filter(recipient=entry).exists()


def test_broken_channel_marked_corrected_leaves_the_page(client_as, listed):
    entry = recipient(listed, "banks-0003")
    channel = phone_of(entry)
    client = client_as("demo-secretariat")
    calls.log_call(entry.alert.author, entry.pk, channel.pk, "", CallOutcome.WRONG_NUMBER)
    breakage = BrokenChannel.objects.get(channel=channel)
    client.post(reverse("escalation:clear_broken_channel", args=[breakage.pk]))
    breakage.refresh_from_db()
    assert breakage.cleared_at is not None
    assert (
        f'id="broken-{breakage.pk}"' not in client.get(reverse("escalation:broken_channels")).content.decode()
    )


def test_a_member_cannot_clear_another_organisations_breakage(client_as, listed):
    entry = recipient(listed, "banks-0003")
    channel = phone_of(entry)
    calls.log_call(entry.alert.author, entry.pk, channel.pk, "", CallOutcome.WRONG_NUMBER)
    breakage = BrokenChannel.objects.get(channel=channel)
    response = client_as("demo-member").post(reverse("escalation:clear_broken_channel", args=[breakage.pk]))
    assert response.status_code == 404
    breakage.refresh_from_db()
    assert breakage.cleared_at is None
