"""The statistics CSV writes every text that did not come from the platform's own words as text: the
sector's code and name (Japanese and English) and, should a report hold a value outside the choices
(the CSV then shows the stored value as its label), the event type and the causes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.registry.models import Sector
from ceptoar.reports.models import Report, ReportCause
from tests.inert import assert_csv_inert, read_csv
from tests.reports.test_statistics_support import reports_fixture  # noqa: F401 - the `reports` fixture

pytestmark = pytest.mark.django_db

SECTOR_CODE = "-1-finance"  # a valid slug
SECTOR = '=HYPERLINK("http://x","y") 金融'
SECTOR_EN = "+1 Finance"
EVENT_TYPE = "@SUM(1) event"
CAUSE_CLASS = "\t=1+1 class"
CAUSE = "\r=1+1 cause"


@pytest.fixture
def hostile(reports):
    Sector.objects.filter(code="finance").update(code=SECTOR_CODE, name=SECTOR, name_en=SECTOR_EN)
    report = Report.objects.filter(event_type="malware").exclude(status="draft").first()
    Report.objects.filter(pk=report.pk).update(event_type=EVENT_TYPE)
    ReportCause.objects.filter(report=report).update(cause_class=CAUSE_CLASS, cause=CAUSE)


def _rows(client) -> list[list[str]]:
    response = client.get(reverse("reports:statistics_csv"))
    assert response.status_code == 200
    return read_csv(response.content)


def test_in_japanese(client_as, hostile):
    rows = _rows(client_as("demo-hub"))
    assert_csv_inert(rows, [SECTOR_CODE, SECTOR, EVENT_TYPE, CAUSE_CLASS, CAUSE])
    [odd] = [row for row in rows if row[3] == "'" + EVENT_TYPE]
    assert odd[:5] == ["2026-02", "'" + SECTOR_CODE, "'" + SECTOR, "'" + EVENT_TYPE, "'" + EVENT_TYPE]
    assert odd[5:] == ["'" + CAUSE_CLASS] * 2 + ["'" + CAUSE] * 2 + ["1"]


def test_in_english(client_as, english, hostile):
    rows = _rows(client_as("demo-secretariat"))
    assert_csv_inert(rows, [SECTOR_CODE, SECTOR_EN, EVENT_TYPE])
    assert rows[0][:3] == ["Month", "Sector code", "Sector"]
    assert {row[2] for row in rows[1:]} == {"'" + SECTOR_EN}
