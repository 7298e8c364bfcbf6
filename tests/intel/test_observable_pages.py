"""The observables on the item pages, and the analysts' controls: the makers see and use them; a member who
may see the item sees the values without controls and is refused on POST; who may not see it gets 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.intel.models import Sighting, SightingSource
from ceptoar.reports.services.cases import create_case
from tests.alerts.pages import published
from tests.reports.pages import submitted_report

pytestmark = pytest.mark.django_db

BODY = "C2: 45.77.12.9、配布ファイル setup.zip、CVE-2024-3400"


@pytest.fixture
def alert(demo_user):
    return published(demo_user("demo-hub"), body=BODY)


def sighting_of(alert, value) -> Sighting:
    return Sighting.objects.select_related("observable").get(alert=alert, observable__value=value)


def test_the_maker_sees_the_values_and_the_controls(english, client_as, alert):
    client_as("demo-hub")
    page = english.get(reverse("alerts:detail", args=[alert.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="observables"' in html and "45.77.12.9" in html and "CVE-2024-3400" in html
    assert reverse("intel:observable_remove", args=[sighting_of(alert, "45.77.12.9").pk]) in html
    assert reverse("intel:item_observables", args=["alert", alert.pk]) in html


def test_a_reader_sees_values_without_controls_and_is_refused_on_post(english, client_as, alert):
    client_as("demo-member")
    html = english.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "45.77.12.9" in html
    assert "/intel/observables/sightings/" not in html and "Add an observable" not in html
    target = sighting_of(alert, "45.77.12.9")
    assert english.post(reverse("intel:observable_remove", args=[target.pk])).status_code == 403
    assert (
        english.post(reverse("intel:observable_retype", args=[target.pk]), {"type": "url"}).status_code == 403
    )
    add = english.post(
        reverse("intel:item_observables", args=["alert", alert.pk]), {"type": "ipv4-addr", "value": "1.2.3.4"}
    )
    assert add.status_code == 403
    target.refresh_from_db()
    assert not target.removed
    assert not Sighting.objects.filter(alert=alert, source=SightingSource.MANUAL).exists()


def test_who_may_not_see_the_item_gets_404(english, client_as, alert):
    client_as("demo-water")
    target = sighting_of(alert, "45.77.12.9")
    assert english.get(reverse("intel:item_observables", args=["alert", alert.pk])).status_code == 404
    assert english.post(reverse("intel:observable_remove", args=[target.pk])).status_code == 404
    assert (
        english.post(reverse("intel:observable_retype", args=[target.pk]), {"type": "url"}).status_code == 404
    )
    assert english.get(reverse("intel:item_observables", args=["nonsense", alert.pk])).status_code == 404


def test_add_remove_and_retype_by_hand(english, client_as, alert):
    client_as("demo-hub")
    page = reverse("intel:item_observables", args=["alert", alert.pk])
    added = english.post(page, {"type": "domain-name", "value": "evil-c2[.]example[.]top"})
    assert added.status_code == 302 and added.url == reverse("alerts:detail", args=[alert.pk])
    manual = Sighting.objects.get(alert=alert, observable__value="evil-c2.example.top")
    assert manual.source == SightingSource.MANUAL and manual.added_by.username == "demo-hub"

    refused = english.post(page, {"type": "ipv4-addr", "value": "300.1.1.1"})
    assert refused.status_code == 400
    assert "is not an IPv4 address" in refused.content.decode()
    again = english.post(page, {"type": "domain-name", "value": "EVIL-C2.example.top"})
    assert again.status_code == 400 and "already an observable" in again.content.decode()

    extracted = sighting_of(alert, "45.77.12.9")
    english.post(reverse("intel:observable_remove", args=[extracted.pk]))
    extracted.refresh_from_db()
    assert extracted.removed
    english.post(reverse("intel:observable_remove", args=[manual.pk]))
    assert not Sighting.objects.filter(pk=manual.pk).exists()

    file_name = sighting_of(alert, "setup.zip")
    assert file_name.observable.type == "file-name"
    english.post(reverse("intel:observable_retype", args=[file_name.pk]), {"type": "domain-name"})
    file_name.refresh_from_db()
    assert file_name.removed
    retyped = Sighting.objects.get(alert=alert, observable__type="domain-name", observable__value="setup.zip")
    assert retyped.source == SightingSource.MANUAL
    # A value that is not of the new type is refused with the reason, and nothing changes.
    cve = sighting_of(alert, "CVE-2024-3400")
    response = english.post(reverse("intel:observable_retype", args=[cve.pk]), {"type": "md5"}, follow=True)
    assert "is not an MD5 hash" in response.content.decode()
    cve.refresh_from_db()
    assert not cve.removed

    # A reader sees no removed value; the maker sees it marked.
    html = english.get(page).content.decode()
    assert "45.77.12.9" in html and "removed" in html


def test_report_and_case_pages_show_the_tag_to_their_makers(english, client_as, demo_user):
    report = submitted_report(demo_user("demo-member"), description="通信先 45.77.12.9 を遮断した。")
    case = create_case(demo_user("demo-secretariat"), report)
    client_as("demo-secretariat")
    html = english.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "45.77.12.9" in html and reverse("intel:item_observables", args=["report", report.pk]) in html
    review = english.get(reverse("reports:case_review", args=[case.pk])).content.decode()
    assert "45.77.12.9" in review and reverse("intel:item_observables", args=["case", case.pk]) in review
    # The reporter's analyst may see the report but not edit it: no controls.
    client_as("demo-analyst")
    page = english.get(reverse("reports:detail", args=[report.pk]))
    if page.status_code == 200:
        assert "/intel/observables/sightings/" not in page.content.decode()
