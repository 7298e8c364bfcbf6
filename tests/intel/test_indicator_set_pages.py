"""The indicator-set pages: the list and a set's page within what the reader may see (404 otherwise), making
a set by hand with typed values, adding and removing values, withdrawing, the MISP upload with its preview
before anything is stored, MISP downloads, and "share as an alert"."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pymisp import MISPEvent

from ceptoar.intel.models import IndicatorSet, IndicatorSetStatus, ObservableType, Sighting
from ceptoar.intel.services.indicator_sets import do_create_indicator_set
from ceptoar.sharing.models import Tlp
from tests.alerts.pages import published
from tests.intel.misp_support import as_bytes, event_path, minimal_event, row_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

VALUES = "203.0.113.5\nhxxps://evil[.]example[.]net/login\nCVE-2024-3400\n" + "A" * 64 + "\nT0886\n"


@pytest.fixture
def bank_set(demo_user):
    return do_create_indicator_set(
        demo_user("demo-analyst"), title="Phishing infrastructure", tlp=Tlp.AMBER, values=VALUES
    )


def values_of(indicator_set) -> set[tuple[str, str]]:
    return set(
        Sighting.objects.filter(indicator_set=indicator_set, removed=False).values_list(
            "observable__type", "observable__value"
        )
    )


def test_the_list_shows_only_the_sets_the_reader_may_see(client_as, bank_set):
    client = client_as("demo-analyst")
    page = client.get(reverse("intel:indicator_sets")).content.decode()
    assert "Phishing infrastructure" in page
    assert 'id="new-indicator-set"' in page
    client_as("demo-water")
    page = client.get(reverse("intel:indicator_sets")).content.decode()
    assert "Phishing infrastructure" not in page
    assert 'id="new-indicator-set"' not in page  # a point of contact does not make sets


def test_a_set_the_reader_may_not_see_is_a_404_everywhere(client_as, bank_set):
    client = client_as("demo-water")
    pk = bank_set.pk
    assert client.get(reverse("intel:indicator_set_detail", args=[pk])).status_code == 404
    assert client.get(reverse("intel:indicator_set_withdraw", args=[pk])).status_code == 404
    assert (
        client.post(reverse("intel:indicator_set_add_values", args=[pk]), {"values": "1.2.3.4"}).status_code
        == 404
    )
    assert client.get(reverse("intel:misp_download", args=["indicator_set", pk])).status_code == 404
    assert client.get(reverse("intel:misp_download", args=["indicator_set", 999999])).status_code == 404
    assert len(values_of(bank_set)) == 5


def test_the_set_page_shows_its_values_and_actions(client_as, bank_set):
    response = client_as("demo-analyst").get(reverse("intel:indicator_set_detail", args=[bank_set.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "https://evil.example.net/login" in page  # refanged
    assert "CVE-2024-3400" in page
    assert 'id="share-as-alert"' in page
    assert reverse("intel:misp_download", args=["indicator_set", bank_set.pk]) in page
    assert 'id="add-values"' in page


def test_making_a_set_by_hand_types_each_value(client_as):
    client = client_as("demo-analyst")
    assert client.get(reverse("intel:indicator_set_new")).status_code == 200
    response = client.post(
        reverse("intel:indicator_set_new"),
        {"title": "Scanners", "description": "", "tlp": Tlp.GREEN, "values": VALUES},
    )
    indicator_set = IndicatorSet.objects.get(title="Scanners")
    assert response.status_code == 302
    assert response.url == reverse("intel:indicator_set_detail", args=[indicator_set.pk])
    assert indicator_set.status == IndicatorSetStatus.DRAFT
    assert values_of(indicator_set) == {
        (ObservableType.IPV4, "203.0.113.5"),
        (ObservableType.URL, "https://evil.example.net/login"),
        (ObservableType.CVE, "CVE-2024-3400"),
        (ObservableType.SHA256, "a" * 64),
        (ObservableType.TECHNIQUE, "T0886"),
    }


def test_a_line_of_no_known_type_is_named_and_nothing_is_stored(client_as):
    client = client_as("demo-analyst")
    before = row_counts()
    response = client.post(
        reverse("intel:indicator_set_new"),
        {"title": "Scanners", "tlp": Tlp.GREEN, "values": "203.0.113.5\nnot a value at all\n"},
    )
    assert response.status_code == 400
    assert "Not a value of a known type: line 2: not a value at all" in response.content.decode()
    assert row_counts() == before


def test_a_point_of_contact_may_not_make_sets(client_as):
    client = client_as("demo-member")
    assert client.get(reverse("intel:indicator_set_new")).status_code == 403
    assert client.get(reverse("intel:misp_upload")).status_code == 403


def test_adding_and_removing_values(client_as, bank_set):
    client = client_as("demo-analyst")
    response = client.post(
        reverse("intel:indicator_set_add_values", args=[bank_set.pk]), {"values": "bad.example.org"}
    )
    assert response.status_code == 302
    assert (ObservableType.DOMAIN, "bad.example.org") in values_of(bank_set)
    sighting = Sighting.objects.get(indicator_set=bank_set, observable__value="bad.example.org")
    response = client.post(reverse("intel:indicator_set_remove_value", args=[bank_set.pk, sighting.pk]))
    assert response.status_code == 302
    sighting.refresh_from_db()
    assert sighting.removed is True
    assert (ObservableType.DOMAIN, "bad.example.org") not in values_of(bank_set)
    page = client.get(reverse("intel:indicator_set_detail", args=[bank_set.pk])).content.decode()
    assert 'id="removed-values"' in page


def test_a_colleague_who_may_see_but_not_change_is_refused(client_as, bank_set):
    client = client_as("demo-member")  # same bank, point of contact
    page = client.get(reverse("intel:indicator_set_detail", args=[bank_set.pk])).content.decode()
    assert 'id="add-values"' not in page
    response = client.post(
        reverse("intel:indicator_set_add_values", args=[bank_set.pk]), {"values": "x.example.org"}
    )
    assert response.status_code == 403
    assert (ObservableType.DOMAIN, "x.example.org") not in values_of(bank_set)
    sighting = Sighting.objects.filter(indicator_set=bank_set).first()
    removal = client.post(reverse("intel:indicator_set_remove_value", args=[bank_set.pk, sighting.pk]))
    assert removal.status_code == 403
    sighting.refresh_from_db()
    assert sighting.removed is False
    assert client.get(reverse("intel:indicator_set_withdraw", args=[bank_set.pk])).status_code == 403


def test_withdrawing_asks_first(client_as, bank_set):
    client = client_as("demo-analyst")
    page = client.get(reverse("intel:indicator_set_withdraw", args=[bank_set.pk]))
    assert page.status_code == 200
    bank_set.refresh_from_db()
    assert bank_set.status == IndicatorSetStatus.DRAFT
    client.post(reverse("intel:indicator_set_withdraw", args=[bank_set.pk]), {"confirm": "1"})
    bank_set.refresh_from_db()
    assert bank_set.status == IndicatorSetStatus.WITHDRAWN


def upload(client, data: bytes, name: str = "event.json"):
    return client.post(reverse("intel:misp_upload"), {"file": SimpleUploadedFile(name, data)})


def test_misp_upload_previews_before_storing(client_as, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client = client_as("demo-analyst")
    before = row_counts()
    preview = upload(client, event_path("ics_intrusion.json").read_bytes(), "ics.json")
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "電力制御システムへの侵入の試み（HMI 経由）" in page
    assert "JP-ICS-ISAC" in page
    assert "filename|sha256" in page
    assert "TLP:AMBER" in page
    assert row_counts() == before, "the preview stored something"
    token = preview.context["confirm_form"].initial["token"]

    confirmed = client.post(reverse("intel:misp_upload"), {"token": token})

    indicator_set = IndicatorSet.objects.get(source_import__file_name="ics.json")
    assert confirmed.status_code == 302
    assert confirmed.url == reverse("intel:indicator_set_detail", args=[indicator_set.pk])
    assert indicator_set.tlp == Tlp.AMBER
    assert not list((tmp_path / "intel-uploads").glob("*.json"))
    # The same token cannot import twice.
    again = client.post(reverse("intel:misp_upload"), {"token": token})
    assert again.status_code == 302 and again.url == reverse("intel:misp_upload")
    assert IndicatorSet.objects.filter(source_import__file_name="ics.json").count() == 1
    detail = client.get(confirmed.url).content.decode()
    assert "JP-ICS-ISAC" in detail
    assert "This community only" in detail  # the event's distribution


def test_misp_upload_of_a_bad_file_names_each_problem(client_as, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client = client_as("demo-analyst")
    before = row_counts()
    event = minimal_event({"uuid": "22222222-2222-4222-8222-222222222222", "type": "md5", "value": "xyz"})
    response = upload(client, as_bytes(event))
    assert response.status_code == 400
    page = response.content.decode()
    assert "attribute #1 (uuid 22222222-2222-4222-8222-222222222222, type &#x27;md5&#x27;)" in page
    assert "Nothing was stored." in page
    assert row_counts() == before


def test_a_preview_token_is_the_uploaders_own(client_as, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    preview = upload(client_as("demo-analyst"), event_path("phishing_bare.json").read_bytes())
    token = preview.context["confirm_form"].initial["token"]
    before = row_counts()
    response = client_as("demo-secretariat").post(reverse("intel:misp_upload"), {"token": token})
    assert response.url == reverse("intel:misp_upload")
    assert row_counts() == before


def test_misp_download_loads_in_pymisp(client_as, bank_set, demo_user):
    client = client_as("demo-analyst")
    response = client.get(reverse("intel:misp_download", args=["indicator_set", bank_set.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="misp-indicator_set-{bank_set.pk}.json"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    event = MISPEvent()
    event.load(response.content.decode())
    assert event.info == "Phishing infrastructure"
    assert {a.value for a in event.attributes} == {
        "203.0.113.5",
        "https://evil.example.net/login",
        "CVE-2024-3400",
        "a" * 64,
    }
    alert = published(demo_user("demo-hub"))
    assert client.get(reverse("intel:misp_download", args=["alert", alert.pk])).status_code == 200
    client_as("demo-water")
    assert client.get(reverse("intel:misp_download", args=["alert", alert.pk])).status_code == 404
    assert client.get(reverse("intel:misp_download", args=["bogus", alert.pk])).status_code == 404


def test_share_as_an_alert_prefills_the_compose_page(client_as, demo_user):
    secretariat = demo_user("demo-secretariat")
    indicator_set = do_create_indicator_set(
        secretariat, title="Banking trojan C2", tlp=Tlp.GREEN, values="203.0.113.99"
    )
    client = client_as("demo-secretariat")
    detail = client.get(reverse("intel:indicator_set_detail", args=[indicator_set.pk])).content.decode()
    share = f"{reverse('alerts:new')}?from_indicator_set={indicator_set.pk}"
    assert share in detail
    form = client.get(share).context["form"]
    assert form.initial["title"] == "Banking trojan C2"
    assert form.initial["tlp"] == Tlp.GREEN
    assert "`203.0.113.99`" in form.initial["body"]
    # Another CEPTOAR's secretariat may not see the draft: the page opens empty, saying nothing of it.
    client_as("demo-securities")
    other = client.get(share)
    assert other.status_code == 200
    assert "title" not in other.context["form"].initial
    assert "Banking trojan C2" not in other.content.decode()
    assert json.dumps(other.context["form"].initial)  # plain data


def test_alert_and_case_pages_offer_the_misp_download(client_as, demo_user):
    from tests.reports.test_case_support import published_case

    alert = published(demo_user("demo-hub"))
    client = client_as("demo-hub")
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert reverse("intel:misp_download", args=["alert", alert.pk]) in page
    case = published_case(demo_user("demo-secretariat"), demo_user("demo-member"), title="停電")
    client_as("demo-secretariat")
    page = client.get(reverse("reports:case_detail", args=[case.pk])).content.decode()
    assert reverse("intel:misp_download", args=["case", case.pk]) in page


def test_misp_upload_above_the_limit_is_refused_by_its_size(client_as, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.CEPTOAR_EXCHANGE_MAX_BYTES = 1024
    before = row_counts()
    response = upload(client_as("demo-analyst"), event_path("ics_intrusion.json").read_bytes())
    assert response.status_code == 400
    assert "above the limit of 1,024 bytes (CEPTOAR_EXCHANGE_MAX_BYTES)" in response.content.decode()
    assert row_counts() == before
