"""The received-reports page: its search form shows only what one can fill in (the triage tab it carries is
a hidden field, and has no stray label)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.reports.services.routing import forward
from tests.reports.test_triage_support import send_report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_received_page_has_no_stray_status_label(client_as, demo_user, language):
    report = send_report(demo_user("demo-member"), scope="ministry", title="Forwarded to FSA")
    forward(demo_user("demo-secretariat"), report, ["ministry"])
    client = client_as("demo-ministry")
    client.cookies["ceptoar_language"] = language
    html = client.get(reverse("reports:received")).content.decode()
    assert report.reference in html
    assert 'for="id_status"' not in html
    assert ">Status<" not in html
    if language == "ja":
        assert "Status" not in html  # no English left on the Japanese page
        assert "受付状況" in html  # the column of the triage status is still there


def test_the_triage_queue_keeps_its_tab_through_a_search(client_as):
    html = (
        client_as("demo-secretariat").get(reverse("reports:triage_queue"), {"status": "all"}).content.decode()
    )
    form = html.split('class="filters"', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="status" value="all"' in form
    assert 'for="id_status"' not in form
