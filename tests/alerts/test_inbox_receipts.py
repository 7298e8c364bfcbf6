"""The inbox's receipts: our organisation's acknowledgement of each row (when, by whom, or not yet), the "not
yet acknowledged" and "not yet relayed" filters, and the link to the next alert to acknowledge, on the inbox
and on an alert's page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia, Alert, Recipient
from ceptoar.alerts.services import acknowledgements, publication
from tests.alerts.test_tracking_support import hub_alert

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

INBOX = reverse("alerts:inbox")


def down_to_members(demo_user, title: str) -> tuple[Alert, Alert, Alert]:
    """The hub's alert to the banks' CEPTOAR, relayed by the FSA, then by the banks' secretariat to its
    members (banks-0001 is demo-member's organisation)."""
    original = hub_alert(demo_user, ceptoars=["banks"])
    Alert.objects.filter(pk=original.pk).update(title=title)
    fsa = publication.relay(original, demo_user("demo-ministry"))
    banks = publication.relay(fsa, demo_user("demo-secretariat"))
    return original, fsa, banks


def acknowledge_as(user, alert: Alert) -> Acknowledgement:
    recipient = Recipient.objects.get(alert=alert, organisation_id=user.organisation_id)
    acknowledgement, created = acknowledgements.acknowledge(
        recipient, AcknowledgementVia.PORTAL, by_user=user
    )
    assert created
    return acknowledgement


def row_of(html: str, alert: Alert) -> str:
    """The inbox row that links to `alert`."""
    link = f'href="{reverse("alerts:detail", args=[alert.pk])}"'
    rows = [row for row in re.findall(r"<tr class=\"alert-row.*?</tr>", html, re.S) if link in row]
    assert len(rows) == 1, f"{len(rows)} rows link to alert {alert.pk}"
    return rows[0]


def listed(html: str, alert: Alert) -> bool:
    """Whether a row of the inbox's table links to `alert` (not the "next" link above it)."""
    link = f'href="{reverse("alerts:detail", args=[alert.pk])}"'
    return any(link in row for row in re.findall(r"<tr class=\"alert-row.*?</tr>", html, re.S))


def next_link(html: str) -> int | None:
    match = re.search(r'id="next-unacknowledged">\s*<a[^>]*href="/alerts/(\d+)/"', html)
    return int(match.group(1)) if match else None


def test_the_receipt_column_says_not_yet_then_when_and_by_whom(client_as, demo_user):
    member = demo_user("demo-member")
    _original, _fsa, banks = down_to_members(demo_user, "Receipt column alert")
    client = client_as("demo-member")
    row = row_of(client.get(INBOX).content.decode(), banks)
    assert "Not yet acknowledged" in row

    acknowledgement = acknowledge_as(member, banks)
    row = row_of(client.get(INBOX).content.decode(), banks)
    assert "Not yet acknowledged" not in row
    assert acknowledgement.acknowledged_at.astimezone().strftime("%Y-%m-%d %H:%M") in row
    assert str(member) in row and "(Portal)" in row


def test_the_column_shows_the_receipt_a_ceptoar_owes_on_the_row_of_its_own_relay(client_as, demo_user):
    # The secretariat's inbox shows its own relay (the hop nearest it); its receipt is of the FSA's relay.
    secretariat = demo_user("demo-secretariat")
    _original, fsa, banks = down_to_members(demo_user, "Chain receipt alert")
    client = client_as("demo-secretariat")
    html = client.get(INBOX, {"unacknowledged": "on"}).content.decode()
    assert "Not yet acknowledged" in row_of(html, banks)

    acknowledge_as(secretariat, fsa)
    html = client.get(INBOX).content.decode()
    assert "Not yet acknowledged" not in row_of(html, banks)
    assert str(secretariat) in row_of(html, banks)
    html = client.get(INBOX, {"unacknowledged": "on"}).content.decode()
    assert not listed(html, banks)


def test_a_row_of_an_alert_not_sent_to_us_has_no_receipt(client_as, demo_user):
    # The hub's alert to the finance sector reaches the member by its audience, not as a recipient.
    from tests.alerts.pages import published

    alert = published(demo_user("demo-hub"), title="Seen by audience only")
    row = row_of(client_as("demo-member").get(INBOX).content.decode(), alert)
    assert "Not yet acknowledged" not in row and "—" in row


def test_the_filter_excludes_acknowledged_alerts(client_as, demo_user):
    member = demo_user("demo-member")
    *_, first = down_to_members(demo_user, "First chain")
    *_, second = down_to_members(demo_user, "Second chain")
    acknowledge_as(member, first)
    client = client_as("demo-member")
    html = client.get(INBOX, {"unacknowledged": "on"}).content.decode()
    assert listed(html, second)
    assert not listed(html, first)
    # Without the filter both are listed.
    html = client.get(INBOX).content.decode()
    assert listed(html, first)

    acknowledge_as(member, second)
    html = client.get(INBOX, {"unacknowledged": "on"}).content.decode()
    assert not listed(html, second)
    assert "No alert matches these filters." in html


def test_the_next_link_leads_to_the_oldest_unacknowledged_and_skips_acknowledged(client_as, demo_user):
    member = demo_user("demo-member")
    *_, oldest = down_to_members(demo_user, "Oldest")
    *_, middle = down_to_members(demo_user, "Middle")
    *_, newest = down_to_members(demo_user, "Newest")
    client = client_as("demo-member")
    assert next_link(client.get(INBOX).content.decode()) == oldest.pk

    acknowledge_as(member, oldest)
    assert next_link(client.get(INBOX).content.decode()) == middle.pk
    # On an alert's page the link goes on to the next one, never back to the alert being read.
    assert next_link(client.get(reverse("alerts:detail", args=[middle.pk])).content.decode()) == newest.pk
    assert next_link(client.get(reverse("alerts:detail", args=[newest.pk])).content.decode()) == middle.pk
    # An acknowledged alert is skipped, from its own page too.
    assert next_link(client.get(reverse("alerts:detail", args=[oldest.pk])).content.decode()) == middle.pk

    acknowledge_as(member, middle)
    acknowledge_as(member, newest)
    assert next_link(client.get(INBOX).content.decode()) is None
    assert next_link(client.get(reverse("alerts:detail", args=[oldest.pk])).content.decode()) is None


def test_the_next_link_is_the_organisations_not_anothers(client_as, demo_user):
    *_, banks = down_to_members(demo_user, "Only for members")
    acknowledge_as(demo_user("demo-member"), banks)
    # banks-0002 has not acknowledged: its POC still has it next, banks-0001's analyst does not.
    assert next_link(client_as("demo-member2").get(INBOX).content.decode()) == banks.pk
    assert next_link(client_as("demo-analyst").get(INBOX).content.decode()) is None


def test_the_not_relayed_filter_lists_what_we_received_and_did_not_pass_on(client_as, demo_user):
    original = hub_alert(demo_user, ceptoars=["banks"])
    fsa = publication.relay(original, demo_user("demo-ministry"))
    client = client_as("demo-secretariat")
    html = client.get(INBOX, {"unrelayed": "on"}).content.decode()
    assert listed(html, fsa)

    publication.relay(fsa, demo_user("demo-secretariat"))
    html = client.get(INBOX, {"unrelayed": "on"}).content.decode()
    assert not listed(html, fsa)
    # A member passes nothing on: it is not offered the filter at all.
    html = client_as("demo-member").get(INBOX).content.decode()
    assert 'name="unacknowledged"' in html and 'name="unrelayed"' not in html


def test_the_filtered_inbox_takes_a_fixed_number_of_queries(
    client_as, demo_user, django_assert_max_num_queries
):
    down_to_members(demo_user, "One")
    client = client_as("demo-member")
    client.get(INBOX)  # warm the session
    # As the unfiltered inbox (tests/alerts/test_inbox_page.py), with the header's unread notifications.
    with django_assert_max_num_queries(11) as few:
        response = client.get(INBOX, {"unacknowledged": "on"})
    assert response.status_code == 200
    for number in range(4):
        down_to_members(demo_user, f"More {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(INBOX, {"unacknowledged": "on"}).content.decode()
    assert html.count("Not yet acknowledged</span>") == 5
