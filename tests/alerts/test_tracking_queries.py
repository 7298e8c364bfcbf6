"""The tracking page over the whole demo community (~5,700 members behind 42 relays: 5 ministries, 14
CEPTOARs, 23 sub-groups and relay hubs) costs the same bounded number of queries as over a chain of a dozen
organisations: everything is counted by the database, and the table is one page."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ceptoar.alerts.models import Recipient
from ceptoar.escalation.status import ReceiptStatus
from tests.alerts.test_tracking_support import (
    acknowledge,
    chain_ids,
    hub_alert,
    mark_failed,
    mark_sent,
    relay_down,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# Session, user, roles, MFA check, alert, access (chain + policy), subtree, four summary aggregates,
# table count and page: a fixed budget whatever the number of recipients.
PAGE_QUERY_BUDGET = 20


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_query_count_does_not_grow_with_the_fan_out(client_as, demo_user, django_assert_max_num_queries):
    # Three members of two CEPTOARs (banks among them, so that every filter below applies to both).
    small = hub_alert(demo_user, organisations=["banks-0001", "banks-0002", "gas-0001"])
    relay_down(small)
    assert Recipient.objects.filter(alert_id__in=chain_ids(small)).count() == 7
    big = hub_alert(demo_user, community=True)
    relays = relay_down(big)
    ids = chain_ids(big)
    mark_sent(ids, ["banks-0001", "water-0001", "local-government-0001"])
    mark_failed(ids, ["banks-0002"])
    for code in ("fsa", "banks", "banks-0003", "water-0002"):
        acknowledge(big, code)
    recipients = Recipient.objects.filter(alert_id__in=ids).count()
    assert len(relays) == 5 + 14 + 23 and recipients > 5700

    client = client_as("demo-hub")
    for name, params in (
        ("alerts:tracking", {}),
        (
            "alerts:tracking",
            {"status": ReceiptStatus.NOT_CONFIRMED, "ceptoar": "banks", "q": "銀行", "page": 2},
        ),
        ("alerts:tracking_live", {}),
        ("alerts:tracking_csv", {}),
    ):
        small_count = _queries(client, reverse(name, args=[small.pk]), **params)
        with django_assert_max_num_queries(min(small_count, PAGE_QUERY_BUDGET)):
            response = client.get(reverse(name, args=[big.pk]), params)
        assert response.status_code == 200

    page = client.get(reverse("alerts:tracking", args=[big.pk]))
    summary = page.context["summary"]
    assert summary.recipients.total == recipients
    assert summary.recipients.acknowledged == 4 and summary.reached == 3
    assert len(page.context["page"].object_list) == 50
    assert page.context["page"].object_list[0].receipt_status == ReceiptStatus.UNREACHABLE  # banks-0002
    assert len(summary.ceptoars) == 14

    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("alerts:tracking_csv", args=[big.pk])).content.decode("utf-8-sig"))
        )
    )
    assert len(rows) == recipients + 1
