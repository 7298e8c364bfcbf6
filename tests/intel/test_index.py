"""The observables' index as the areas' services drive it: alert publication (a relay records nothing: its
root carries the values), report submission (text, structured list, text attachments), and the sync's rules
(an analyst's removal stays, a manual sighting is never deleted, values no longer found go)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ceptoar.alerts.models import AlertAttachment
from ceptoar.alerts.services import drafts as alert_drafts
from ceptoar.alerts.services import publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.intel import index
from ceptoar.intel.models import Observable, Sighting, SightingSource
from ceptoar.reports.services.attachments import add_attachment
from ceptoar.reports.services.drafts import DraftContent, save_draft, start_follow_up
from ceptoar.reports.services.submission import submit
from ceptoar.reports.versions import draft_of
from ceptoar.sharing.models import Tlp
from tests.alerts.pages import published
from tests.reports.pages import report_values, submitted_report

pytestmark = pytest.mark.django_db

ALERT_BODY = """## 概要
攻撃者は hxxps://phish-bank[.]top/login から認証情報を窃取しています。
C2：45.77.12.9、DNS は 8.8.8.8 を使用。関連：CVE-2024-3400、T1566.002。
"""


def values_of(**item) -> dict[tuple[str, str], Sighting]:
    return {
        (sighting.observable.type, sighting.observable.value): sighting
        for sighting in Sighting.objects.filter(**item).select_related("observable")
    }


def test_publishing_an_alert_records_its_values_with_the_origin(demo_user):
    hub = demo_user("demo-hub")
    alert = published(hub, body=ALERT_BODY)
    found = values_of(alert=alert)
    assert set(found) == {
        ("url", "https://phish-bank.top/login"),
        ("domain-name", "phish-bank.top"),
        ("ipv4-addr", "45.77.12.9"),
        ("ipv4-addr", "8.8.8.8"),
        ("cve", "CVE-2024-3400"),
        ("attack-technique", "T1566.002"),
    }
    sighting = found[("ipv4-addr", "45.77.12.9")]
    assert sighting.organisation == hub.organisation
    assert sighting.source == SightingSource.EXTRACTED and sighting.context == "body"
    assert sighting.seen_at == alert.published_at
    # The resolver is stored and marked, so correlation can skip it.
    assert found[("ipv4-addr", "8.8.8.8")].observable.warning_list == "public-resolvers"
    assert found[("ipv4-addr", "45.77.12.9")].observable.warning_list == ""


def test_a_text_attachment_is_read_and_a_pdf_is_not(demo_user):
    hub = demo_user("demo-hub")
    draft = alert_drafts.create_draft(
        hub,
        title="IoC list",
        body="添付を参照。",
        category="malware",
        severity="high",
        tlp=Tlp.AMBER,
        audience=AudienceSpec(sectors=["finance"], organisations=["fsa"]),
    )
    for name, content, content_type in (
        ("iocs.csv", b"value,type\n185.220.101.5,ip\nbad-domain.xyz,domain\n", "text/csv"),
        ("advisory.pdf", b"%PDF-1.7 10.9.9.9 198.18.0.1", "application/pdf"),
    ):
        AlertAttachment.objects.create(
            alert=draft,
            file=SimpleUploadedFile(name, content, content_type=content_type),
            name=name,
            content_type=content_type,
            size=len(content),
        )
    alert = publication.submit(draft, hub)
    found = values_of(alert=alert)
    assert set(found) == {("ipv4-addr", "185.220.101.5"), ("domain-name", "bad-domain.xyz")}
    assert found[("ipv4-addr", "185.220.101.5")].context == "attachment:iocs.csv"


def test_a_relay_records_nothing_and_its_root_keeps_its_values(demo_user):
    original = published(demo_user("demo-hub"), body=ALERT_BODY)
    before = values_of(alert=original)
    relay = publication.relay(original, demo_user("demo-secretariat"))
    assert relay.root_id == original.pk or relay.parent_id == original.pk
    assert not Sighting.objects.filter(alert=relay).exists()
    assert set(values_of(alert=original)) == set(before)
    # One observable, one sighting: the relay and its original never correlate with each other.
    assert Sighting.objects.filter(observable__value="45.77.12.9", alert__isnull=False).count() == 1


def test_submitting_a_report_records_text_structured_list_and_attachments(demo_user):
    member = demo_user("demo-member")
    report = submitted_report(
        member,
        description="不審な通信先 update-check[.]jp-grid[.]com（45.77.12.9）を確認。",
        observables=[
            {"type": "ipv4-addr", "value": "203.0.113.5"},
            {
                "type": "file:sha256",
                "value": "9F2B5C0E8D7A6B4C3E2F1A0B9C8D7E6F5A4B3C2D1E0F9A8B7C6D5E4F3A2B1C0D",
            },
            {"type": "file:sha512", "value": "ab" * 64},
        ],
    )
    found = values_of(report=report)
    assert found[("ipv4-addr", "203.0.113.5")].source == SightingSource.REPORTED
    assert found[("sha256", "9f2b5c0e8d7a6b4c3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d")].source == (
        SightingSource.REPORTED
    )
    assert found[("domain-name", "update-check.jp-grid.com")].source == SightingSource.EXTRACTED
    assert found[("ipv4-addr", "45.77.12.9")].context == "description:v1"
    assert not any(type_ == "sha512" for type_, _value in found)
    sighting = found[("ipv4-addr", "45.77.12.9")]
    assert sighting.organisation == report.organisation
    assert sighting.sector_id == report.organisation.sector_id
    assert sighting.seen_at == report.first_submitted_at

    # A follow-up with a log file: its values join; the first version's stay (the union of versions).
    follow_up = start_follow_up(member, report)
    save_draft(
        member, follow_up, DraftContent(values=report_values(description="続報です。", observables=[]))
    )
    add_attachment(member, follow_up, "fw.txt", b"DENY src=185.220.101.5 dst=10.0.0.8\n")
    submit(member, draft_of(report))
    found = values_of(report=report)
    assert found[("ipv4-addr", "185.220.101.5")].context == "attachment:fw.txt"
    assert ("ipv4-addr", "45.77.12.9") in found and ("ipv4-addr", "203.0.113.5") in found


def test_removed_stays_removed_manual_is_kept_and_stale_goes(demo_user):
    hub = demo_user("demo-hub")
    alert = published(hub, body="C2: 45.77.12.9 と 198.51.100.23、CVE-2024-3400")
    found = values_of(alert=alert)
    removed = found[("ipv4-addr", "198.51.100.23")]
    removed.removed = True
    removed.save()
    manual_observable = Observable.objects.create(type="domain-name", value="manual-add.net")
    Sighting.objects.create(
        observable=manual_observable,
        alert=alert,
        seen_at=alert.published_at,
        source=SightingSource.MANUAL,
        added_by=hub,
    )
    # The text changes (as a correction's would) and the index runs again.
    alert.body = "C2: 198.51.100.23 のみ。"
    index.index_alert(alert)
    found = values_of(alert=alert)
    assert set(found) == {("ipv4-addr", "198.51.100.23"), ("domain-name", "manual-add.net")}
    assert found[("ipv4-addr", "198.51.100.23")].removed
    assert found[("domain-name", "manual-add.net")].source == SightingSource.MANUAL
    # Observables are kept even when no item carries them any more (correlation's history, cheap).
    assert Observable.objects.filter(value="45.77.12.9").exists()


def test_one_observable_for_the_same_value_written_two_ways(demo_user):
    first = published(demo_user("demo-hub"), body="hxxp://evil-c2[.]com/x")
    second = published(demo_user("demo-hub"), body="http://EVIL-C2.com/x を確認")
    assert Observable.objects.filter(type="url", value="http://evil-c2.com/x").count() == 1
    assert Sighting.objects.filter(observable__value="http://evil-c2.com/x").count() == 2
    assert first.pk != second.pk


def test_a_published_correction_is_indexed_as_an_item_of_its_own(demo_user):
    from ceptoar.alerts.services import corrections

    hub = demo_user("demo-hub")
    original = published(hub, body="C2: 45.77.12.9")
    draft = corrections.create_correction(
        original,
        hub,
        title=original.title,
        body="C2 は 45.77.12.10 でした（訂正）。",
        severity=original.severity,
        correction_note="C2 のアドレスを訂正",
    )
    correction = publication.submit(draft, hub)
    assert set(values_of(alert=correction)) == {("ipv4-addr", "45.77.12.10")}
    assert set(values_of(alert=original)) == {("ipv4-addr", "45.77.12.9")}
