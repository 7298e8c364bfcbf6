"""The intel pages: home, signals, "check these values", incidents (new, from a signal with its confirmation,
link, unlink and close behind confirmations), the related items on the detail pages, and the header link."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.intel.models import Incident, IncidentReport, IncidentStatus
from ceptoar.registry.models import Organisation
from tests.intel import factories_corr as make
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

IP = ("ipv4-addr", "198.51.100.7")


@pytest.fixture
def as_user(english, demo_user):
    def login(username):
        sign_in(english, demo_user(username))
        return english

    return login


@pytest.fixture
def signal(demo_user):
    """IP reported by two banks in reports the banks' secretariat holds."""
    banks = Organisation.objects.get(code="banks")
    reports = []
    for name in ("demo-member", "demo-member2"):
        report = make.report(demo_user(name), ceptoar=banks, hops=[(banks, "secretariat")])
        make.sight(report, *IP)
        reports.append(report)
    return reports


def test_header_link_only_for_those_who_see_signals(as_user):
    page = as_user("demo-secretariat").get(reverse("home")).content.decode()
    assert 'id="nav-intel"' in page
    page = as_user("demo-member").get(reverse("home")).content.decode()
    assert 'id="nav-intel"' not in page


def test_home_and_signals_page(as_user, signal):
    client = as_user("demo-secretariat")
    page = client.get(reverse("intel:home")).content.decode()
    assert IP[1] in page and "Make an incident" in page
    page = client.get(reverse("intel:signals"), {"days": 7, "min_organisations": 3, "min_sectors": 1})
    assert IP[1] not in page.content.decode()
    page = client.get(reverse("intel:signals"), {"days": 7, "min_organisations": 2, "min_sectors": 1})
    assert IP[1] in page.content.decode()


def test_members_do_not_get_signals(as_user, signal):
    client = as_user("demo-member")
    assert client.get(reverse("intel:signals")).status_code == 403
    assert IP[1] not in client.get(reverse("intel:home")).content.decode()


def test_check_values_shows_only_what_the_reader_may_see(as_user, signal):
    data = {"values": f"{IP[0]} {IP[1]}\nnothing.example", "default_type": "domain-name"}
    page = as_user("demo-secretariat").post(reverse("intel:check"), data).content.decode()
    assert signal[0].title in page and signal[1].title in page
    page = as_user("demo-member2").post(reverse("intel:check"), data).content.decode()
    assert signal[1].title in page and signal[0].title not in page


def test_detail_pages_show_related_items(as_user, signal):
    page = as_user("demo-secretariat").get(reverse("reports:detail", args=[signal[0].pk])).content.decode()
    assert 'id="table-related-items"' in page and signal[1].title in page
    page = as_user("demo-member").get(reverse("reports:detail", args=[signal[0].pk])).content.decode()
    assert 'id="related-none"' in page and signal[1].title not in page


def test_incident_from_a_signal_lists_the_reports_then_links_them(as_user, signal):
    client = as_user("demo-secretariat")
    observable = make.observable(*IP)
    url = reverse("intel:incident_from_signal", args=[observable.pk])
    page = client.get(url, {"days": 7}).content.decode()
    assert signal[0].reference in page and signal[1].reference in page
    assert not Incident.objects.exists()
    response = client.post(url, {"days": 7, "title": "Same address at two banks", "summary": ""})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "intel:incident_detail", args=[incident.pk]
    )
    assert set(IncidentReport.objects.filter(incident=incident).values_list("report_id", flat=True)) == {
        r.pk for r in signal
    }
    assert incident.from_observable == observable
    page = client.get(response.url).content.decode()
    assert 'id="incident-timeline"' in page


def test_new_link_unlink_close_with_confirmations(as_user, signal):
    client = as_user("demo-secretariat")
    response = client.post(
        reverse("intel:incident_new"), {"title": "By hand", "references": "NOPE-1\n" + signal[0].reference}
    )
    assert "No report you may see has the reference NOPE-1" in response.content.decode()
    assert not Incident.objects.exists()
    response = client.post(
        reverse("intel:incident_new"), {"title": "By hand", "references": signal[0].reference}
    )
    incident = Incident.objects.get()

    client.post(reverse("intel:incident_link", args=[incident.pk]), {"reference": signal[1].reference})
    assert IncidentReport.objects.filter(incident=incident).count() == 2

    unlink = reverse("intel:incident_unlink", args=[incident.pk, signal[1].pk])
    assert "will no longer be part" in client.get(unlink).content.decode()
    assert IncidentReport.objects.filter(incident=incident).count() == 2
    client.post(unlink)
    assert IncidentReport.objects.filter(incident=incident).count() == 1

    close = reverse("intel:incident_close", args=[incident.pk])
    assert "cannot be undone" in client.get(close).content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN
    client.post(close)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED


def test_other_organisations_do_not_see_the_incident(as_user, signal, demo_user):
    from ceptoar.intel.services import incidents

    incident = incidents.do_create_incident(demo_user("demo-secretariat"), "Banks only", signal)
    client = as_user("demo-securities")
    assert client.get(reverse("intel:incident_detail", args=[incident.pk])).status_code == 404
    assert "Banks only" not in client.get(reverse("intel:incident_list")).content.decode()


def test_check_values_reads_a_pasted_advisory_with_defanged_values(as_user, signal):
    text = "【注意喚起】不審な通信先を確認しました。\n通信先: 198[.]51[.]100[.]7（ポート443）\n以上"
    response = as_user("demo-secretariat").post(reverse("intel:check"), {"values": text})
    page = response.content.decode()
    assert signal[0].title in page and signal[1].title in page
    assert response.context["form"].cleaned_data["pairs"] == [IP]
    # The first and last lines hold no value; they are counted, not refused.
    assert response.context["form"].cleaned_data["unrecognised"] == [1, 3]


def test_check_values_refuses_text_without_any_value(as_user, english):
    response = as_user("demo-secretariat").post(reverse("intel:check"), {"values": "特になし\nnothing here"})
    assert "No value of a known type was found" in response.content.decode()
