"""The tracking CSV: one row per recipient organisation of the subtree, UTF-8 with a byte-order mark so
that Excel opens the Japanese names correctly, under the same access rule as the page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from ceptoar.alerts.models import AcknowledgementVia, Recipient
from ceptoar.registry.models import Organisation, Sector
from tests.alerts.test_tracking_support import (
    acknowledge,
    chain_ids,
    hub_alert,
    mark_failed,
    mark_sent,
    relay_down,
)
from tests.inert import assert_csv_inert, payload, read_csv

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = [
    "Relay hop",
    "Sent by",
    "Organisation code",
    "Organisation",
    "Sector",
    "Status",
    "First sent at",
    "Acknowledged at",
    "Acknowledged via",
    "Seconds to delivery",
    "Seconds to acknowledgement",
    "Deliveries sent",
    "Deliveries failed",
    "Escalation step reached",
]


@pytest.fixture
def original(demo_user):
    alert = hub_alert(demo_user, ceptoars=["gas"])
    relay_down(alert)
    ids = chain_ids(alert)
    mark_sent(ids, ["gas-0001", "gas-0002"], after=timedelta(seconds=7))
    mark_failed(ids, ["gas-0009"])
    acknowledge(alert, "gas-0001", via=AcknowledgementVia.EMAIL_LINK, after=timedelta(seconds=95))
    return alert


def _download(client, alert):
    response = client.get(reverse("alerts:tracking_csv", args=[alert.pk]))
    assert response.status_code == 200
    return response


def test_csv_starts_with_a_bom_and_is_utf8(client_as, original):
    response = _download(client_as("demo-hub"), original)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="alert-{original.pk}-tracking-')
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    assert b"GAS CEPTOAR" in body and "経済産業省".encode() in body


def test_csv_has_one_row_per_recipient_with_its_numbers(client_as, original):
    text = _download(client_as("demo-hub"), original).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER
    by_code = {row[2]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    expected = set(
        Recipient.objects.filter(alert_id__in=chain_ids(original)).values_list(
            "organisation__code", flat=True
        )
    )
    assert set(by_code) == expected and len(rows) - 1 == len(expected) == 12

    answered = by_code["gas-0001"]
    assert answered["Relay hop"] == "CEPTOARs → Member organisations"
    assert answered["Sent by"] == "GAS CEPTOAR"
    assert answered["Organisation"] == Organisation.objects.get(code="gas-0001").name
    assert answered["Sector"] == "ガス"
    assert answered["Status"] == "Confirmed"
    assert answered["Acknowledged via"] == "Link in the e-mail"
    assert answered["Seconds to delivery"] == "7" and answered["Seconds to acknowledgement"] == "95"
    assert answered["First sent at"].endswith("+09:00")  # Japan time, as people read it
    assert int(answered["Deliveries sent"]) >= 1 and answered["Deliveries failed"] == "0"

    bounced = by_code["gas-0009"]
    assert bounced["Status"] == "Unreachable" and bounced["First sent at"] == ""
    assert int(bounced["Deliveries failed"]) >= 1 and bounced["Seconds to delivery"] == ""

    ministry = by_code["meti"]
    assert ministry["Relay hop"] == "National hub (NISC) → Sector ministries" and ministry["Sector"] == ""
    assert ministry["Status"] == "Not confirmed" and ministry["Escalation step reached"] == ""


def test_a_name_that_looks_like_a_formula_is_defused(client_as, original):
    Organisation.objects.filter(code="gas-0002").update(name='=HYPERLINK("http://evil.example")')
    text = _download(client_as("demo-hub"), original).content.decode("utf-8-sig")
    row = next(row for row in csv.reader(io.StringIO(text)) if row[2] == "gas-0002")
    assert row[3] == '\'=HYPERLINK("http://evil.example")'


def test_csv_is_refused_like_the_page(client_as, original):
    assert client_as("demo-member").get(reverse("alerts:tracking_csv", args=[original.pk])).status_code == 404
    assert (
        client_as("demo-secretariat").get(reverse("alerts:tracking_csv", args=[original.pk])).status_code
        == 404
    )


def test_formulas_in_every_name_stay_text(client_as, original):
    """The sender's, the recipients' and the sector's names are the registry's text: each a formula here."""
    names = {}
    for index, code in enumerate(["gas", "meti", "gas-0001", "gas-0009"]):
        names[code] = payload(index) + f" {code}"
        Organisation.objects.filter(code=code).update(name=names[code])
    sector = payload(4) + " sector"
    Sector.objects.filter(organisations__code="gas-0001").update(name=sector)
    rows = read_csv(_download(client_as("demo-hub"), original).content)
    assert_csv_inert(rows, [*names.values(), sector])
    by_code = {row[2]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert by_code["gas-0001"]["Sent by"] == "'" + names["gas"]
    assert by_code["gas-0001"]["Sector"] == "'" + sector
    assert by_code["gas-0001"]["Seconds to acknowledgement"] == "95"  # numbers stay numbers
