"""Alerts, failure cases and indicator sets as STIX 2.1 bundles: valid for stix2-validator with neither errors
nor warnings, the OASIS TLP 2.0 markings by their exact ids, patterns that escape what they must, stable ids,
and the sharing policy asked before anything leaves."""

from __future__ import annotations

import json

import pytest
from stix2patterns.validator import run_validator

from ceptoar.intel.models import IndicatorSet, IndicatorSetStatus, Technique
from ceptoar.intel.stix import export, importer, markings
from ceptoar.sharing.models import Audience, AuditEntry, Tlp
from tests.alerts.pages import published
from tests.intel.stix_support import findings, sight
from tests.reports.test_case_support import published_case

pytestmark = pytest.mark.django_db

TRICKY_URL = "http://evil.example.jp/a?q=it's"
TRICKY_NAME = "請求書's\\.exe"
OBSERVABLES = [
    ("ipv4-addr", "203.0.113.7"),
    ("ipv6-addr", "2001:db8::7"),
    ("domain-name", "evil.example.jp"),
    ("url", TRICKY_URL),
    ("email-addr", "attacker@evil.example.jp"),
    ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
    ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("file-name", TRICKY_NAME),
    ("url", "http://evil.example.jp/パス with space\\x"),
    ("cve", "CVE-2024-3400"),
    ("attack-technique", "T0886"),
]
OASIS = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


@pytest.fixture
def technique():
    return Technique.objects.create(
        external_id="T0886",
        name="Remote Services",
        domain="ics-attack",
        stix_id="attack-pattern--e1f9cdd2-9511-4fca-90d7-f3e92cfdd0bf",
    )


@pytest.fixture
def alert(demo_user, technique):
    alert = published(demo_user("demo-hub"), title="VPN装置の脆弱性を悪用した侵入")
    sight(
        "alert", alert, [*OBSERVABLES, ("ipv4-addr", "198.51.100.9")], removed={("ipv4-addr", "198.51.100.9")}
    )
    return alert


def by_type(bundle: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for obj in bundle["objects"]:
        found.setdefault(obj["type"], []).append(obj)
    return found


def test_an_alert_exports_as_a_bundle_the_validator_passes_without_warnings(alert, demo_user):
    bundle = export.export_item("alert", alert, user=demo_user("demo-member"))

    errors, warnings = findings(json.dumps(bundle))
    assert errors == []
    assert not warnings, warnings
    objects = by_type(bundle)
    (report,) = objects["report"]
    assert report["name"] == "VPN装置の脆弱性を悪用した侵入"
    assert set(report["object_refs"]) == {obj["id"] for obj in bundle["objects"]} - {
        report["id"],
        objects["identity"][0]["id"],
        OASIS[Tlp.AMBER],
    }
    assert objects["identity"][0]["name"] == alert.origin_organisation.name
    # Ten observables a pattern can test, one CVE, one technique; the removed address stays home.
    assert len(objects["indicator"]) == 10
    assert "198.51.100.9" not in json.dumps(bundle)
    assert objects["vulnerability"][0]["external_references"] == [
        {"source_name": "cve", "external_id": "CVE-2024-3400"}
    ]
    (attack_pattern,) = objects["attack-pattern"]
    assert attack_pattern["id"] == "attack-pattern--e1f9cdd2-9511-4fca-90d7-f3e92cfdd0bf"
    assert attack_pattern["external_references"][0]["external_id"] == "T0886"
    kinds = {(r["relationship_type"], r["target_ref"].split("--")[0]) for r in objects["relationship"]}
    assert ("indicates", "attack-pattern") in kinds and ("related-to", "ipv4-addr") in kinds
    assert {sco["type"] for sco in bundle["objects"] if "value" in sco or sco["type"] == "file"} >= {
        "ipv4-addr",
        "ipv6-addr",
        "domain-name",
        "url",
        "email-addr",
        "file",
    }
    for obj in bundle["objects"]:
        if obj["type"] != "marking-definition":
            assert obj["object_marking_refs"] == [OASIS[Tlp.AMBER]], obj["id"]


def test_patterns_escape_quotes_and_backslashes(alert, demo_user):
    bundle = export.export_item("alert", alert, user=demo_user("demo-member"))

    patterns = {i["name"]: i["pattern"] for i in by_type(bundle)["indicator"]}
    assert patterns[TRICKY_URL] == "[url:value = 'http://evil.example.jp/a?q=it\\'s']"
    assert patterns[TRICKY_NAME] == "[file:name = '請求書\\'s\\\\.exe']"
    # What a URI may not hold is percent-encoded (the url SCO's value must be a URI).
    assert "http://evil.example.jp/%E3%83%91%E3%82%B9%20with%20space%5Cx" in patterns
    assert patterns["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"].startswith(
        "[file:hashes.'SHA-256' = "
    )
    for value, pattern in patterns.items():
        assert run_validator(pattern, stix_version="2.1") == [], pattern
        # Read back by our own importer, each pattern gives its value again.
        assert [v for _kind, v in importer.pattern_values(pattern)] == [value]


@pytest.mark.parametrize("tlp", list(OASIS))
def test_each_tlp_is_the_oasis_marking_definition(tlp):
    definition = markings.marking_definition(tlp)

    assert definition["id"] == OASIS[tlp]
    assert definition["created"] == "2022-10-01T00:00:00.000Z"
    assert definition["extensions"] == {
        "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
            "extension_type": "property-extension",
            "tlp_2_0": {"amber_strict": "amber+strict"}.get(tlp, tlp),
        }
    }
    assert definition["name"] == Tlp(tlp).label


def test_exporting_again_gives_the_same_bundle(alert, demo_user):
    first = export.export_item("alert", alert, user=demo_user("demo-member"))
    again = export.export_item("alert", alert, user=demo_user("demo-hub"))

    assert first == again


def test_the_policy_refuses_those_who_may_not_read_the_item(alert, demo_user):
    with pytest.raises(export.ExportRefused):
        export.export_item("alert", alert, user=demo_user("demo-water"))
    with pytest.raises(export.ExportRefused):
        export.export_item("alert", alert, user=None)


def test_red_goes_only_to_the_named_people_and_is_audited(demo_user, technique):
    hub, member = demo_user("demo-hub"), demo_user("demo-member")
    from ceptoar.alerts.services.audience import AudienceSpec

    alert = published(hub, tlp=Tlp.RED, audience=AudienceSpec(people=[member.username]))
    sight("alert", alert, [("ipv4-addr", "203.0.113.99")])
    before = AuditEntry.objects.count()

    bundle = export.export_item("alert", alert, user=member)

    assert by_type(bundle)["marking-definition"][0]["id"] == OASIS[Tlp.RED]
    assert AuditEntry.objects.filter(action="export", item_id=alert.pk, user=member).count() == 1
    assert AuditEntry.objects.count() == before + 1
    with pytest.raises(export.ExportRefused):
        export.export_item("alert", alert, user=demo_user("demo-member2"))


def test_a_published_case_exports_with_its_own_observables_only(demo_user):
    secretariat, reporter = demo_user("demo-secretariat"), demo_user("demo-member")
    case = published_case(secretariat, reporter, lessons="UPSの点検を毎月行う。")
    sight("case", case, [("cve", "CVE-2023-12345"), ("domain-name", "c2.example.net")])
    sight("report", case.report, [("domain-name", "internal.banks-0001.example.jp")])

    bundle = export.export_item("case", case, user=secretariat)

    errors, warnings = findings(json.dumps(bundle))
    assert errors == [] and not warnings
    text = json.dumps(bundle, ensure_ascii=False)
    assert "c2.example.net" in text and "CVE-2023-12345" in text
    assert "internal.banks-0001.example.jp" not in text
    (report,) = by_type(bundle)["report"]
    assert "UPSの点検を毎月行う。" in report["description"]
    assert by_type(bundle)["marking-definition"][0]["id"] == OASIS[Tlp(case.tlp)]


def test_an_indicator_set_exports_only_to_those_who_may_see_it(demo_user):
    member = demo_user("demo-member")
    indicator_set = IndicatorSet.objects.create(
        title="フィッシングサイト一覧",
        tlp=Tlp.GREEN,
        audience=Audience.objects.create(),
        origin_organisation=member.organisation,
        author=member,
        status=IndicatorSetStatus.DRAFT,
    )
    sight("indicator_set", indicator_set, [("url", "https://login.example-bank.jp.evil.example/")])

    bundle = export.export_item("indicator_set", indicator_set, user=member)

    errors, warnings = findings(json.dumps(bundle))
    assert errors == [] and not warnings
    assert by_type(bundle)["report"][0]["report_types"] == ["indicator"]
    with pytest.raises(export.ExportRefused):
        # A draft stays with the organisation that made it.
        export.export_item("indicator_set", indicator_set, user=demo_user("demo-hub"))


def test_a_value_stix_refuses_is_left_out_and_one_object_is_listed_once(demo_user):
    alert = published(demo_user("demo-hub"))
    sight(
        "alert",
        alert,
        [
            ("md5", "not-a-hash"),
            ("url", "http://evil.example.jp/a b"),
            ("url", "http://evil.example.jp/a%20b"),
        ],
    )

    bundle = export.export_item("alert", alert, user=demo_user("demo-member"))

    errors, warnings = findings(json.dumps(bundle))
    assert errors == [] and not warnings
    assert "not-a-hash" not in json.dumps(bundle)
    assert [o["value"] for o in by_type(bundle)["url"]] == ["http://evil.example.jp/a%20b"]
    assert len(by_type(bundle)["indicator"]) == 2
