"""The headers every response carries: the Content-Security-Policy (this site's files only, nothing inline,
never framed), the stricter one of attachment downloads, the one loosening of the API documentation, and
the CSRF refusal page inside the site's own layout."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from ceptoar.alerts.models import AlertAttachment
from tests.alerts.pages import published

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} twice in {header!r}"
        parsed[name] = sources
    return parsed


def assert_site_policy(response, img_src=("'self'",)):
    policy = directives(response.headers["Content-Security-Policy"])
    for name in ("default-src", "script-src", "style-src", "connect-src", "font-src"):
        assert policy[name] == ["'self'"], name
    assert policy["img-src"] == list(img_src)
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in response.headers["Content-Security-Policy"]


def test_pages_of_every_kind_carry_the_site_policy(client, client_as):
    assert_site_policy(client.get(reverse("account_login")))  # anonymous
    assert_site_policy(client.get("/health"))
    assert_site_policy(client.get("/static/core/site.css"))
    member = client_as("demo-member")
    assert_site_policy(member.get(reverse("home")))
    assert_site_policy(member.get("/no/such/page/"))  # the 404 page
    assert_site_policy(member.get(reverse("reports:statistics")))  # the 403 page
    assert_site_policy(member.get(reverse("alerts:inbox")))
    # Framing is refused the old way too, for browsers that predate frame-ancestors.
    assert member.get(reverse("home")).headers["X-Frame-Options"] == "DENY"


def test_the_api_documentation_may_show_data_images_and_nothing_else_is_loosened(client):
    # Swagger UI's stylesheet draws its icons as data: images.
    assert_site_policy(client.get("/api/docs"), img_src=("'self'", "data:"))
    # ninja decorates the document the page reads the same way (JSON: no image is ever drawn from it).
    assert_site_policy(client.get("/api/openapi.json"), img_src=("'self'", "data:"))
    assert_site_policy(client.get(reverse("account_login")))


def test_an_attachment_download_keeps_its_own_stricter_policy(client_as, demo_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    alert = published(demo_user("demo-hub"))
    attachment = AlertAttachment.objects.create(
        alert=alert,
        file=ContentFile(b"%PDF-1.7", name="a.pdf"),
        name="a.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
    )
    response = client_as("demo-member").get(reverse("alerts:attachment", args=[alert.pk, attachment.pk]))
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_form_refused_by_the_csrf_check_says_what_to_do_in_the_sites_layout(demo_user):
    from tests.signin import sign_in

    browser = sign_in(Client(enforce_csrf_checks=True), demo_user("demo-member"))
    browser.cookies["ceptoar_language"] = "en"
    response = browser.post(reverse("reports:new"), {"scope": "ceptoar"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "The form could not be sent" in html and "Nothing was changed." in html
    assert "/static/core/site.css" in html and "<style" not in html
    assert_site_policy(response)
