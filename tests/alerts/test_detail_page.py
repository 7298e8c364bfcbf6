"""Reading an alert: sanitised body, the audit of sensitive reads, and what the page offers whom."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.sharing.models import AuditEntry, Tlp
from tests.alerts.pages import published

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_scripts_and_javascript_links_in_the_body_never_reach_the_reader(client_as, demo_user):
    alert = published(
        demo_user("demo-hub"),
        body="**Read me**\n\n<script>alert('x')</script>\n\n[click here](javascript:alert(1))\n\n"
        '<a href="javascript:alert(2)">raw</a>',
    )
    html = client_as("demo-member").get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "<strong>Read me</strong>" in html  # the Markdown itself is rendered …
    assert "<script>alert" not in html  # … the script is not
    assert "&lt;script&gt;" in html  # it is shown as text, so the reader sees what was sent
    assert not re.search(
        r"<a\s[^>]*href=[\"']?\s*javascript", html, re.IGNORECASE
    )  # no live javascript: link


def test_reading_amber_strict_writes_the_audit_log_and_amber_does_not(client_as, demo_user):
    strict = published(demo_user("demo-hub"), tlp=Tlp.AMBER_STRICT, title="Strict one")
    amber = published(demo_user("demo-hub"), tlp=Tlp.AMBER, title="Amber one")
    member = client_as("demo-member")
    before = AuditEntry.objects.count()

    html = member.get(reverse("alerts:detail", args=[strict.pk])).content.decode()
    assert "recorded in the audit log" in html
    entry = AuditEntry.objects.get(item_type="alerts.alert", item_id=strict.pk)
    assert (entry.user.username, entry.organisation.code, entry.action, entry.tlp) == (
        "demo-member",
        "banks-0001",
        "read",
        Tlp.AMBER_STRICT,
    )

    member.get(reverse("alerts:detail", args=[amber.pk]))
    assert AuditEntry.objects.count() == before + 1


def test_red_is_read_only_by_the_people_named(client_as, demo_user):
    red = published(demo_user("demo-hub"), tlp=Tlp.RED, audience=AudienceSpec(people=["demo-member"]))
    assert client_as("demo-member").get(reverse("alerts:detail", args=[red.pk])).status_code == 200
    assert AuditEntry.objects.filter(item_id=red.pk, user__username="demo-member").count() == 1
    # Same organisation, not named: nothing.
    assert client_as("demo-analyst").get(reverse("alerts:detail", args=[red.pk])).status_code == 404


def test_the_detail_page_names_the_audience_and_the_references(client_as, demo_user):
    alert = published(
        demo_user("demo-hub"),
        audience=AudienceSpec(ceptoars=["banks"], organisations=["water-0001"]),
        references=["https://www.example.jp/a"],
    )
    html = client_as("demo-member").get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "銀行等CEPTOAR" in html
    assert 'href="https://www.example.jp/a"' in html
    assert "Who receives it" in html


def test_a_member_is_offered_no_action(client_as, demo_user):
    alert = published(demo_user("demo-hub"))
    html = client_as("demo-member").get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    for name in ("alerts:relay", "alerts:close", "alerts:submit", "alerts:approve"):
        assert reverse(name, args=[alert.pk]) not in html
    assert client_as("demo-member").post(reverse("alerts:close", args=[alert.pk])).status_code == 403
    assert client_as("demo-member").get(reverse("alerts:relay", args=[alert.pk])).status_code == 403


def test_the_ministry_is_offered_the_relay_and_the_hub_the_close(client_as, demo_user):
    alert = published(demo_user("demo-hub"))
    ministry = client_as("demo-ministry").get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert reverse("alerts:relay", args=[alert.pk]) in ministry
    assert reverse("alerts:close", args=[alert.pk]) not in ministry
    hub = client_as("demo-hub").get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert reverse("alerts:close", args=[alert.pk]) in hub
    assert reverse("alerts:relay", args=[alert.pk]) not in hub


def test_an_attachment_of_another_alert_is_not_served_under_this_one(
    client_as, demo_user, settings, tmp_path
):
    from django.core.files.base import ContentFile

    from ceptoar.alerts.models import AlertAttachment

    settings.MEDIA_ROOT = tmp_path
    visible = published(demo_user("demo-hub"))
    hidden = published(demo_user("demo-hub"), audience=AudienceSpec(sectors=["water"]), title="Water only")
    secret = AlertAttachment.objects.create(
        alert=hidden,
        file=ContentFile(b"%PDF-1.7", name="w.pdf"),
        name="w.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
    )
    member = client_as("demo-member")
    assert member.get(reverse("alerts:attachment", args=[visible.pk, secret.pk])).status_code == 404
    assert member.get(reverse("alerts:attachment", args=[hidden.pk, secret.pk])).status_code == 404
