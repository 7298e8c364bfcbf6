"""The STIX pages: download buttons that ask the policy, the imports page (upload, preview, confirm, list,
verbatim download), and the technique picker on report pages."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ceptoar.intel.models import ExchangeImport, Sighting, StixObject, Technique
from tests.alerts.pages import published
from tests.intel.stix_support import row_counts, sight
from tests.reports.test_case_support import submitted_report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

T = "2025-04-01T09:00:00.000Z"
BUNDLE = {
    "type": "bundle",
    "id": "bundle--41111111-2222-4333-8444-555555555555",
    "objects": [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": "indicator--51111111-2222-4333-8444-555555555555",
            "created": T,
            "modified": T,
            "name": "C2",
            "pattern": "[domain-name:value = 'c2.example.net']",
            "pattern_type": "stix",
            "valid_from": T,
            "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
        }
    ],
}


def upload(raw: bytes, name: str = "feed.json") -> dict:
    return {"file": SimpleUploadedFile(name, raw, content_type="application/json")}


def test_the_alert_page_offers_the_download_and_it_asks_the_policy(client_as, demo_user, client):
    alert = published(demo_user("demo-hub"))
    sight("alert", alert, [("ipv4-addr", "203.0.113.5")])
    url = reverse("intel:stix_download", args=["alert", alert.pk])

    client_as("demo-member")
    assert url in client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/stix+json;version=2.1"
    assert response["Content-Disposition"] == f'attachment; filename="ceptoar-alert-{alert.pk}.stix.json"'
    assert json.loads(response.content)["type"] == "bundle"

    client_as("demo-water")
    assert client.get(url).status_code == 404
    assert client.get(reverse("intel:stix_download", args=["report", alert.pk])).status_code == 404


def test_an_analyst_previews_then_imports_a_bundle(client_as, client, demo_user):
    client_as("demo-analyst")
    before = row_counts()

    preview = client.post(reverse("intel:stix_imports"), upload(json.dumps(BUNDLE).encode()))

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Check the bundle before importing" in page
    assert "indicator" in page and "GREEN" in page
    assert row_counts() == before, "the preview stored something"
    token = preview.context["token"]
    response = client.post(reverse("intel:stix_import_confirm"), {"token": token})
    assert response.status_code == 302
    source_import = ExchangeImport.objects.get(source_id=BUNDLE["id"])
    assert source_import.imported_by == demo_user("demo-analyst")
    assert source_import.file_name == "feed.json"
    listing = client.get(reverse("intel:stix_imports")).content.decode()
    assert "feed.json" in listing
    download = client.get(reverse("intel:stix_import_download", args=[source_import.pk]))
    assert json.loads(download.content) == BUNDLE
    # The token is spent: confirming again stores nothing more.
    client.post(reverse("intel:stix_import_confirm"), {"token": token})
    assert ExchangeImport.objects.filter(source_id=BUNDLE["id"]).count() == 1


def test_a_bad_bundle_is_shown_with_its_problems_and_nothing_stored(client_as, client):
    client_as("demo-analyst")
    broken = json.loads(json.dumps(BUNDLE))
    broken["objects"][0]["pattern"] = "[domain-name:value = "
    before = row_counts()

    response = client.post(reverse("intel:stix_imports"), upload(json.dumps(broken).encode()))

    page = response.content.decode()
    assert "Nothing was imported: 1 problem." in page
    assert "indicator--51111111-2222-4333-8444-555555555555" in page and "broken STIX pattern" in page
    assert row_counts() == before


def test_the_imports_page_is_for_analysts_and_imports_for_their_organisation(client_as, client, demo_user):
    client_as("demo-member")
    assert client.get(reverse("intel:stix_imports")).status_code == 403
    other = ExchangeImport.objects.create(
        format="stix", source_id=BUNDLE["id"], organisation=demo_user("demo-hub").organisation
    )
    StixObject.objects.create(source_import=other, position=0, stix_id="x", type="x", data={})
    assert client.get(reverse("intel:stix_import_download", args=[other.pk])).status_code == 404


def test_the_secretariat_tags_a_report_from_its_page(client_as, client, demo_user):
    Technique.objects.create(external_id="T0886", name="Remote Services", domain="ics-attack")
    report = submitted_report(demo_user("demo-member"))
    detail = reverse("reports:detail", args=[report.pk])

    client_as("demo-secretariat")
    page = client.get(detail).content.decode()
    assert 'id="techniques"' in page and "T0886 Remote Services" in page  # the picker's choices
    response = client.post(
        reverse("intel:technique_tag", args=["report", report.pk]), {"technique": "T0886 Remote Services"}
    )
    assert response.status_code == 302 and response.url.endswith("#techniques")
    assert Sighting.objects.filter(report=report, observable__value="T0886", removed=False).exists()
    response = client.post(
        reverse("intel:technique_tag", args=["report", report.pk]), {"technique": "T9999"}, follow=True
    )
    assert "No imported ATT&amp;CK technique matches" in response.content.decode()

    client_as("demo-member")
    page = client.get(detail).content.decode()
    assert "Remote Services" in page and 'class="technique-picker"' not in page
    assert (
        client.post(
            reverse("intel:technique_untag", args=["report", report.pk]), {"technique": "T0886"}
        ).status_code
        == 403
    )
    client_as("demo-water")
    assert (
        client.post(
            reverse("intel:technique_tag", args=["report", report.pk]), {"technique": "T0886"}
        ).status_code
        == 404
    )


def test_an_upload_never_confirmed_is_removed_once_its_preview_expired(client_as, client, settings, tmp_path):
    import os
    import time

    settings.VAR_DIR = tmp_path
    waiting = tmp_path / "stix-uploads"
    waiting.mkdir()
    old = waiting / "forgotten.json"
    old.write_text("{}")
    os.utime(old, (time.time() - 2 * 24 * 3600,) * 2)
    client_as("demo-analyst")

    client.post(reverse("intel:stix_imports"), upload(json.dumps(BUNDLE).encode()))

    assert not old.exists()
    assert len(list(waiting.glob("*.json"))) == 1  # the new one, waiting for its confirmation
