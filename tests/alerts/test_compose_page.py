"""Composing and publishing an alert on the site: who may, what reaches whom, and bad input kept and explained."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ceptoar.alerts.models import Alert, Status
from ceptoar.sharing.models import Tlp
from tests.alerts.pages import compose_data, confirm_send, pdf, post_confirmed, row_counts
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_and_media(english, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_published_alert_reaches_the_sector_and_no_one_else(client_as):
    hub = client_as("demo-hub")
    response = post_confirmed(hub, lambda: compose_data(attachments=[pdf()]))
    alert = Alert.objects.get(title=compose_data()["title"])
    assert response.status_code == 302 and response.url == reverse("alerts:detail", args=[alert.pk])
    assert alert.status == Status.PUBLISHED and alert.tlp == Tlp.AMBER
    assert alert.references == ["https://www.example.jp/advisory/1"]
    attachment = alert.attachments.get()
    detail_url = reverse("alerts:detail", args=[alert.pk])
    download_url = reverse("alerts:attachment", args=[alert.pk, attachment.pk])

    member = client_as("demo-member")
    assert alert.title in member.get(reverse("alerts:inbox")).content.decode()
    page = member.get(detail_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<strong>至急</strong>" in html  # the Markdown body, rendered
    assert "TLP:AMBER" in html and "need-to-know" in html  # the banner says what AMBER allows
    download = member.get(download_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"

    water = client_as("demo-water")
    assert alert.title not in water.get(reverse("alerts:inbox")).content.decode()
    assert water.get(detail_url).status_code == 404
    assert water.get(download_url).status_code == 404


def test_a_draft_stays_inside_the_sending_organisation(client_as):
    hub = client_as("demo-hub")
    hub.post(reverse("alerts:new"), compose_data(action="draft", title="Draft only"))
    alert = Alert.objects.get(title="Draft only")
    assert alert.status == Status.DRAFT
    assert hub.get(reverse("alerts:detail", args=[alert.pk])).status_code == 200

    member = client_as("demo-member")
    assert member.get(reverse("alerts:detail", args=[alert.pk])).status_code == 404
    assert "Draft only" not in member.get(reverse("alerts:inbox")).content.decode()

    # Publishing it from its page, once its preview is confirmed, sends it.
    hub = client_as("demo-hub")
    confirm_send(hub, reverse("alerts:submit", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.status == Status.PUBLISHED
    assert client_as("demo-member").get(reverse("alerts:detail", args=[alert.pk])).status_code == 200


def _refused(client, data) -> tuple:
    before = row_counts()
    response = client.post(reverse("alerts:new"), data)
    assert response.status_code == 400
    assert row_counts() == before, "a refused alert must leave no Alert, Audience or attachment row"
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert f'value="{data["title"]}"' in html  # what was typed is kept
    return response.context["form"], html


def test_an_unknown_audience_code_is_named_with_the_audience(client_as):
    form, html = _refused(client_as("demo-hub"), compose_data(organisations="banks-0001, no-such-org"))
    assert any("no-such-org" in error for error in form.audience_errors)
    assert "banks-0001, no-such-org" in html


def test_red_to_organisations_is_refused_with_the_audience(client_as):
    form, _ = _refused(
        client_as("demo-hub"),
        compose_data(tlp=Tlp.RED, sectors=[], organisations="banks-0001", people="demo-member"),
    )
    assert any("named people only" in error for error in form.audience_errors)


def test_an_oversized_attachment_is_refused_on_the_attachment_field(client_as, settings, tmp_path):
    settings.CEPTOAR_ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("log.txt", b"a" * 2000, content_type="text/plain")
    form, html = _refused(client_as("demo-hub"), compose_data(attachments=[pdf(), big]))
    assert any("at most 1,024 bytes" in error for error in form.errors["attachments"])
    assert "choose the attachments again" in html
    assert not list((tmp_path / "media").rglob("*.*")), "no file of a refused alert is stored"


def test_an_executable_is_refused_on_the_attachment_field(client_as):
    exe = SimpleUploadedFile("tool.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    form, _ = _refused(client_as("demo-hub"), compose_data(attachments=[exe]))
    assert any("tool.exe" in error and ".exe" in error for error in form.errors["attachments"])


def test_a_reference_that_is_not_a_url_is_refused_with_its_line(client_as):
    form, _ = _refused(
        client_as("demo-hub"), compose_data(references="https://www.example.jp/ok\njavascript:alert(1)")
    )
    assert form.errors["references"] == ["Line 2 is not an http:// or https:// address: javascript:alert(1)"]


def test_a_missing_audience_is_refused(client_as):
    form, _ = _refused(client_as("demo-hub"), compose_data(sectors=[]))
    assert form.audience_errors == ["Choose who the alert is for."]


@pytest.mark.parametrize("username", ["demo-member", "demo-analyst", "demo-auditor"])
def test_those_who_do_not_send_cannot_open_the_compose_page(client_as, username):
    client = client_as(username)
    assert client.get(reverse("alerts:new")).status_code == 403
    before = row_counts()
    assert client.post(reverse("alerts:new"), compose_data()).status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize("username", ["demo-hub", "demo-ministry", "demo-secretariat", "demo-coordinator"])
def test_senders_get_the_compose_page_with_every_tlp_explained(client_as, username):
    response = client_as(username).get(reverse("alerts:new"))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"):
        assert label in html
    assert "no further disclosure" in html  # RED's explanation, as FIRST puts it


def test_a_second_person_approves_on_the_page(client_as, demo_user, settings):
    from ceptoar.accounts.models import Role, RoleGrant, User

    settings.CEPTOAR_MFA_REQUIRED = False  # the colleague created here has no authenticator
    hub = client_as("demo-hub")
    post_confirmed(hub, lambda: compose_data(title="Needs a second pair of eyes", requires_approval="on"))
    alert = Alert.objects.get(title="Needs a second pair of eyes")
    assert alert.status == Status.AWAITING_APPROVAL
    html = hub.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "another person of your organisation must approve" in html
    assert reverse("alerts:approve", args=[alert.pk]) not in html
    assert hub.get(reverse("alerts:approve", args=[alert.pk])).status_code == 302
    hub.post(reverse("alerts:approve", args=[alert.pk]), {"token": "anything"})
    alert.refresh_from_db()
    assert alert.status == Status.AWAITING_APPROVAL  # the author cannot approve

    colleague = User.objects.create_user("hub-colleague", organisation=demo_user("demo-hub").organisation)
    RoleGrant.objects.create(user=colleague, role=Role.HUB_STAFF)
    sign_in(hub, colleague)
    assert (
        reverse("alerts:approve", args=[alert.pk])
        in hub.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    )
    confirm_send(hub, reverse("alerts:approve", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.status == Status.PUBLISHED and alert.approved_by == colleague

    hub.post(reverse("alerts:close", args=[alert.pk]), {"confirm": "close"})
    alert.refresh_from_db()
    assert alert.status == Status.CLOSED
