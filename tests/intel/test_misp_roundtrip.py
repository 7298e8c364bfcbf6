"""MISP round trips: an imported event exported again is the same event (attributes, objects, tags and
uuids) and loads cleanly in PyMISP; an alert, a case or an indicator set exports as a new event that PyMISP
loads, with the expected attributes and stable uuids; and an export asks the sharing policy."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymisp import MISPEvent

from ceptoar.intel.misp import ExportRefused, export_event, import_event_bytes, import_event_file
from ceptoar.intel.models import Observable, ObservableType, Sighting, SightingSource
from ceptoar.intel.services.indicator_sets import do_create_indicator_set, do_remove_value
from ceptoar.sharing.models import AuditEntry, Tlp
from tests.alerts.pages import published
from tests.intel.misp_support import event_json, event_path
from tests.reports.test_case_support import published_case

pytestmark = pytest.mark.django_db

FIXTURES = ["ics_intrusion.json", "phishing_bare.json", "vpn_advisory_response.json"]


def original_event(name: str) -> dict:
    document = event_json(name)
    if "response" in document:
        document = document["response"][0]
    return document.get("Event", document)


def loaded(document: dict) -> MISPEvent:
    """PyMISP's reading of our JSON, as a MISP instance or a tool would read the file."""
    event = MISPEvent()
    event.load(json.dumps(document, ensure_ascii=False))
    return event


@pytest.mark.parametrize("name", FIXTURES)
def test_import_then_export_gives_the_same_event(demo_user, name):
    analyst = demo_user("demo-analyst")
    exchange = import_event_file(event_path(name), user=analyst)

    exported = export_event(exchange, user=analyst)

    original = original_event(name)
    assert exported == {"Event": original}
    event = loaded(exported)
    assert event.uuid == original["uuid"]
    assert event.info == original["info"]
    assert [(a.uuid, a.type, a.value) for a in event.attributes] == [
        (a["uuid"], a["type"], a["value"]) for a in original["Attribute"]
    ]
    assert [t.name for t in event.tags] == [t["name"] for t in original["Tag"]]
    assert [
        (o.uuid, o.name, [(a.uuid, a.object_relation, a.value) for a in o.attributes]) for o in event.objects
    ] == [
        (o["uuid"], o["name"], [(a["uuid"], a["object_relation"], a["value"]) for a in o["Attribute"]])
        for o in original.get("Object", [])
    ]


def test_ics_round_trip_keeps_comments_tags_and_galaxies(demo_user):
    analyst = demo_user("demo-analyst")
    event = loaded(
        export_event(import_event_file(event_path("ics_intrusion.json"), user=analyst), user=analyst)
    )
    first = event.attributes[0]
    assert first.comment == "C2 サーバ"
    assert [t.name for t in first.tags] == ['misp-galaxy:mitre-attack-pattern="Command and Control - T0869"']
    assert event.info == "電力制御システムへの侵入の試み（HMI 経由）"
    assert event.objects[0].comment == "HMI に置かれた実行ファイル"
    assert event.to_dict()["Galaxy"][0]["GalaxyCluster"][0]["meta"]["external_id"] == ["T0886"]


def put(item_field: str, item, organisation, *pairs, source=SightingSource.MANUAL) -> list[Sighting]:
    """Sightings written as the index would write them (this test does not depend on `intel.index`)."""
    sightings = []
    for kind, value in pairs:
        observable, _ = Observable.objects.get_or_create(
            type=kind,
            value=value,
            defaults={"warning_list": "documentation" if value.startswith("192.0.2.") else ""},
        )
        sightings.append(
            Sighting.objects.create(
                observable=observable,
                organisation=organisation,
                seen_at=timezone.now(),
                source=source,
                **{item_field: item},
            )
        )
    return sightings


ALERT_VALUES = [
    (ObservableType.IPV4, "203.0.113.9"),
    (ObservableType.IPV4, "192.0.2.10"),
    (ObservableType.DOMAIN, "evil.example.net"),
    (ObservableType.SHA256, "e" * 64),
    (ObservableType.CVE, "CVE-2024-3400"),
    (ObservableType.FILE_NAME, "invoice.exe"),
    (ObservableType.TECHNIQUE, "T1566"),
]


def test_alert_exports_as_a_new_event_pymisp_loads(demo_user):
    hub = demo_user("demo-hub")
    alert = published(hub, severity="critical", tlp=Tlp.AMBER)
    put("alert", alert, alert.origin_organisation, *ALERT_VALUES)
    removed = put("alert", alert, alert.origin_organisation, (ObservableType.URL, "http://removed.example/"))
    Sighting.objects.filter(pk=removed[0].pk).update(removed=True)

    document = export_event(alert, user=hub)
    event = loaded(document)

    assert event.info == alert.title
    assert str(event.threat_level_id) == "1"
    assert event.published is True
    assert [t.name for t in event.tags] == ["tlp:amber", 'misp-galaxy:mitre-attack-pattern="T1566"']
    assert event.Orgc.name == alert.origin_organisation.name
    by_value = {a.value: a for a in event.attributes}
    assert {(a.type, a.value) for a in event.attributes} == {
        ("ip-dst", "203.0.113.9"),
        ("ip-dst", "192.0.2.10"),
        ("domain", "evil.example.net"),
        ("sha256", "e" * 64),
        ("vulnerability", "CVE-2024-3400"),
        ("filename", "invoice.exe"),
    }
    assert by_value["203.0.113.9"].to_ids is True
    assert by_value["192.0.2.10"].to_ids is False  # on a warning list: never a detection rule
    assert by_value["CVE-2024-3400"].to_ids is False
    assert by_value["CVE-2024-3400"].category == "External analysis"
    # Stable: the same alert gives the same event and attribute uuids.
    again = export_event(alert, user=hub)
    assert again["Event"]["uuid"] == document["Event"]["uuid"]
    assert [a["uuid"] for a in again["Event"]["Attribute"]] == [
        a["uuid"] for a in document["Event"]["Attribute"]
    ]
    other = published(hub)
    assert export_event(other, user=hub)["Event"]["uuid"] != document["Event"]["uuid"]


@pytest.mark.parametrize(("tlp", "tag"), [(Tlp.CLEAR, "tlp:clear"), (Tlp.AMBER_STRICT, "tlp:amber+strict")])
def test_tlp_2_names_out(demo_user, tlp, tag):
    analyst = demo_user("demo-analyst")
    indicator_set = do_create_indicator_set(analyst, title="Scanners", tlp=tlp, values="203.0.113.77")
    event = loaded(export_event(indicator_set, user=analyst))
    assert [t.name for t in event.tags] == [tag]
    assert [a.value for a in event.attributes] == ["203.0.113.77"]


def test_amber_strict_export_is_an_audited_read(demo_user):
    analyst = demo_user("demo-analyst")
    indicator_set = do_create_indicator_set(
        analyst, title="S", tlp=Tlp.AMBER_STRICT, values="evil.example.org"
    )
    before = AuditEntry.objects.filter(action="export").count()
    export_event(indicator_set, user=analyst)
    assert AuditEntry.objects.filter(action="export").count() == before + 1


def test_indicator_set_export_leaves_out_removed_values(demo_user):
    analyst = demo_user("demo-analyst")
    indicator_set = do_create_indicator_set(
        analyst,
        title="Phishing hosts",
        tlp=Tlp.GREEN,
        values="login.bank-verify.example.com\nhxxp://bad[.]example/x\n",
    )
    url = Sighting.objects.get(indicator_set=indicator_set, observable__type=ObservableType.URL)
    do_remove_value(analyst, indicator_set, url.pk)
    event = loaded(export_event(indicator_set, user=analyst))
    assert [(a.type, a.value) for a in event.attributes] == [("domain", "login.bank-verify.example.com")]
    assert str(event.threat_level_id) == "4"
    assert event.published is False


def test_case_exports_as_a_new_event(demo_user):
    secretariat, member = demo_user("demo-secretariat"), demo_user("demo-member")
    case = published_case(secretariat, member, title="ATM停止を招いたマルウェア感染")
    put(
        "case",
        case,
        case.origin_organisation,
        (ObservableType.MD5, "f" * 32),
        (ObservableType.CVE, "CVE-2023-4966"),
    )
    event = loaded(export_event(case, user=secretariat))
    assert event.info == "ATM停止を招いたマルウェア感染"
    assert {(a.type, a.value) for a in event.attributes} == {
        ("md5", "f" * 32),
        ("vulnerability", "CVE-2023-4966"),
    }
    assert [t.name for t in event.tags] == [f"tlp:{case.tlp}"]


def test_export_asks_the_sharing_policy(demo_user):
    hub, analyst, water = demo_user("demo-hub"), demo_user("demo-analyst"), demo_user("demo-water")
    alert = published(hub)  # AMBER, to the finance sector
    exchange = import_event_file(event_path("phishing_bare.json"), user=analyst)  # a draft set of the bank
    indicator_set = exchange.indicator_set
    for item in (alert, exchange, indicator_set):
        with pytest.raises(ExportRefused) as caught:
            export_event(item, user=water)
        assert "may not see" in str(caught.value)
        assert "nothing exported" in str(caught.value)
    # Those who may see it may export it; the operator at the command line passes no user.
    assert export_event(alert, user=analyst)["Event"]["info"] == alert.title
    assert export_event(exchange)["Event"]["uuid"] == original_event("phishing_bare.json")["uuid"]


def test_an_export_is_inert_json(demo_user):
    analyst = demo_user("demo-analyst")
    indicator_set = do_create_indicator_set(
        analyst, title="<script>alert(1)</script>", tlp=Tlp.GREEN, values="evil.example.org"
    )
    text = json.dumps(export_event(indicator_set, user=analyst), ensure_ascii=False)
    # JSON text, for a file: the title is data, and nothing in it is more than a string.
    assert json.loads(text)["Event"]["info"] == "<script>alert(1)</script>"


# -- any event of mapped and unmapped types, through and back -------------------------------------------

_HEX = "0123456789abcdef"
_VALUES = {
    "ip-dst": st.tuples(*[st.integers(1, 254)] * 4).map(lambda p: ".".join(map(str, p))),
    "domain": st.from_regex(r"[a-z]{3,10}\.example\.(jp|net)", fullmatch=True),
    "md5": st.text(_HEX, min_size=32, max_size=32),
    "sha256": st.text(_HEX, min_size=64, max_size=64),
    "vulnerability": st.integers(1000, 99999).map(lambda n: f"CVE-2024-{n}"),
    # Without U+0000, which an import refuses by name (test_misp_import: PostgreSQL cannot store it).
    "text": st.text(st.characters(blacklist_characters="\x00"), min_size=1, max_size=40).filter(str.strip),
    "btc": st.just("1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
}
_ATTRIBUTES = st.sampled_from(sorted(_VALUES)).flatmap(
    lambda misp_type: st.builds(
        lambda value, identifier, to_ids: {
            "uuid": str(identifier),
            "type": misp_type,
            "value": value,
            "to_ids": to_ids,
            "comment": "",
        },
        _VALUES[misp_type],
        st.uuids(),
        st.booleans(),
    )
)


@given(
    attributes=st.lists(_ATTRIBUTES, min_size=1, max_size=12, unique_by=lambda a: a["uuid"]),
    tlp=st.sampled_from(["tlp:clear", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red"]),
    identifier=st.uuids(),
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_event_comes_back_as_it_came(demo_user, attributes, tlp, identifier):
    analyst = demo_user("demo-analyst")
    document = {
        "Event": {
            "uuid": str(identifier),
            "info": "生成イベント",
            "Tag": [{"name": tlp}],
            "Attribute": attributes,
        }
    }
    exchange = import_event_bytes(json.dumps(document, ensure_ascii=False).encode(), user=analyst)
    exported = export_event(exchange, user=analyst)
    assert exported == document
    event = loaded(exported)
    assert [(a.uuid, a.type, a.value) for a in event.attributes] == [
        (a["uuid"], a["type"], a["value"]) for a in attributes
    ]
    # And the set made from it exports as an event PyMISP loads, with one attribute per mapped value.
    mapped = {(a["type"], a["value"].lower()) for a in attributes if a["type"] not in ("text", "btc")}
    from_set = loaded(export_event(exchange.indicator_set, user=analyst))
    assert {(a.type, a.value.lower()) for a in from_set.attributes} == {(t, v) for t, v in mapped}
