"""MISP events in: the type mapping, the TLP taxonomy, composite values, types we do not map kept as they
came, and bad input refused with every problem named, storing nothing."""

from __future__ import annotations

import pytest

from ceptoar.intel.misp import export_event, import_event_bytes, import_event_file
from ceptoar.intel.misp.mapping import observables_of
from ceptoar.intel.models import (
    ExchangeFormat,
    IndicatorSet,
    IndicatorSetStatus,
    ObservableType,
    Sighting,
    SightingSource,
)
from ceptoar.intel.problems import ImportRefused
from ceptoar.sharing.models import Tlp
from tests.intel.misp_support import as_bytes, event_json, event_path, minimal_event, row_counts

pytestmark = pytest.mark.django_db


def values_of(exchange) -> set[tuple[str, str]]:
    return set(
        Sighting.objects.filter(indicator_set=exchange.indicator_set).values_list(
            "observable__type", "observable__value"
        )
    )


def test_ics_event_becomes_an_import_and_a_draft_set_of_the_importing_organisation(demo_user):
    analyst = demo_user("demo-analyst")
    exchange = import_event_file(event_path("ics_intrusion.json"), user=analyst)

    assert exchange.format == ExchangeFormat.MISP
    assert exchange.organisation == analyst.organisation
    assert exchange.source_name == "JP-ICS-ISAC"
    assert exchange.object_count == 12  # 10 attributes, 2 objects
    indicator_set = exchange.indicator_set
    assert indicator_set.title == "電力制御システムへの侵入の試み（HMI 経由）"
    assert indicator_set.status == IndicatorSetStatus.DRAFT
    assert indicator_set.origin_organisation == analyst.organisation
    assert indicator_set.tlp == Tlp.AMBER
    assert values_of(exchange) == {
        (ObservableType.IPV4, "203.0.113.45"),
        (ObservableType.IPV4, "198.51.100.7"),  # ip-dst|port: the address, not the port
        (ObservableType.DOMAIN, "update-scada.example.net"),  # lower-cased
        (ObservableType.URL, "http://update-scada.example.net/fw/hmi_patch.bin"),
        (ObservableType.EMAIL, "support@vendor-notice.example.org"),
        (ObservableType.FILE_NAME, "hmi_patch.exe"),  # filename|sha256, and the file object
        (ObservableType.SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
        (ObservableType.CVE, "CVE-2024-6387"),
        (ObservableType.MD5, "5d41402abc4b2a76b9719d911017c592"),
        (ObservableType.SHA1, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        (ObservableType.DOMAIN, "relay.ics-threat.example.com"),
        (ObservableType.IPV6, "2001:db8:85a3::8a2e:370:7334"),
        # From the event's ICS galaxy tag, its galaxy cluster, and an attribute's tag.
        (ObservableType.TECHNIQUE, "T0846"),
        (ObservableType.TECHNIQUE, "T0886"),
        (ObservableType.TECHNIQUE, "T0869"),
    }
    sightings = Sighting.objects.filter(indicator_set=indicator_set)
    assert {s.source for s in sightings} == {SightingSource.IMPORTED}
    assert {s.organisation_id for s in sightings} == {analyst.organisation_id}


def test_types_we_do_not_map_are_kept_in_the_envelope(demo_user):
    exchange = import_event_file(event_path("ics_intrusion.json"), user=demo_user("demo-analyst"))

    kept = {a["type"]: a for a in exchange.envelope["Event"]["Attribute"]}
    assert kept["AS"]["value"] == "AS64500"
    assert kept["regkey"]["value"].endswith("\\Run\\hmiupd")
    assert kept["text"]["value"] == "操作員端末 3 台で確認。"
    assert exchange.envelope["unmapped_types"] == {"AS": 1, "regkey": 1, "text": 1, "size-in-bytes": 1}


@pytest.mark.parametrize(
    ("tag", "tlp"),
    [
        ("tlp:white", Tlp.CLEAR),
        ("tlp:clear", Tlp.CLEAR),
        ("tlp:green", Tlp.GREEN),
        ("tlp:amber", Tlp.AMBER),
        ("TLP:AMBER+STRICT", Tlp.AMBER_STRICT),
        ("tlp:red", Tlp.RED),
    ],
)
def test_tlp_taxonomy(demo_user, tag, tlp):
    event = minimal_event({"type": "domain", "value": "example.com"}, tags=(tag, "type:OSINT"))
    exchange = import_event_bytes(as_bytes(event), user=demo_user("demo-analyst"))
    assert exchange.indicator_set.tlp == tlp


def test_the_most_restrictive_tlp_tag_wins_and_no_tag_means_amber(demo_user):
    analyst = demo_user("demo-analyst")
    both = minimal_event({"type": "domain", "value": "example.com"}, tags=("tlp:green", "tlp:red"))
    assert import_event_bytes(as_bytes(both), user=analyst).indicator_set.tlp == Tlp.RED
    none = minimal_event({"type": "domain", "value": "example.org"}, tags=())
    none["Event"]["uuid"] = "5f1c1c3e-0000-4000-8000-000000000002"
    exchange = import_event_bytes(as_bytes(none), user=analyst)
    assert exchange.indicator_set.tlp == Tlp.AMBER
    assert exchange.envelope["tlp_from_tags"] is False


def test_bare_event_and_api_response_forms(demo_user):
    analyst = demo_user("demo-analyst")
    bare = import_event_file(event_path("phishing_bare.json"), user=analyst)
    assert bare.indicator_set.tlp == Tlp.GREEN
    assert (ObservableType.FILE_NAME, "invoice.pdf.js") in values_of(bare)
    response = import_event_file(event_path("vpn_advisory_response.json"), user=analyst)
    assert response.indicator_set.tlp == Tlp.CLEAR
    assert values_of(response) == {
        (ObservableType.IPV4, "192.0.2.0/24"),
        (ObservableType.CVE, "CVE-2023-46805"),
        (ObservableType.IPV6, "2001:db8::1"),
    }


@pytest.mark.parametrize(
    ("misp_type", "value", "expected"),
    [
        ("ip-src|port", "10.0.0.1|8080", [("ipv4-addr", "10.0.0.1")]),
        ("hostname|port", "Mail.Example.JP|25", [("domain-name", "mail.example.jp")]),
        ("domain|ip", "example.jp|192.0.2.1", [("domain-name", "example.jp"), ("ipv4-addr", "192.0.2.1")]),
        ("filename|md5", "a.exe|" + "A" * 32, [("file-name", "a.exe"), ("md5", "a" * 32)]),
        ("filename|sha1", "a.exe|" + "b" * 40, [("file-name", "a.exe"), ("sha1", "b" * 40)]),
        ("malware-sample", "x.bin|" + "c" * 32, [("file-name", "x.bin"), ("md5", "c" * 32)]),
        ("vulnerability", "cve-2021-44228", [("cve", "CVE-2021-44228")]),
        ("vulnerability", "JVNDB-2024-000001", []),  # not a CVE id: kept, not an observable
        ("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", []),
    ],
)
def test_composite_and_special_types(misp_type, value, expected):
    assert observables_of(misp_type, value) == expected


def refused(document_bytes: bytes, user) -> list[str]:
    before = row_counts()
    with pytest.raises(ImportRefused) as caught:
        import_event_bytes(document_bytes, user=user)
    assert row_counts() == before, "a refused import stored something"
    return caught.value.problems


def test_not_json(demo_user):
    problems = refused(b'{"Event": {"info": "x",', demo_user("demo-analyst"))
    assert problems == [
        "The file is not JSON: Expecting property name enclosed in double quotes at line 1, column 24."
    ]


def test_not_utf8(demo_user):
    problems = refused("情報".encode("shift_jis"), demo_user("demo-analyst"))
    assert problems[0].startswith("The file is not UTF-8 text")


def test_not_an_event(demo_user):
    problems = refused(as_bytes({"type": "bundle", "objects": []}), demo_user("demo-analyst"))
    assert problems[0].startswith("The file is not a MISP event")


def test_several_events_are_refused(demo_user):
    one = event_json("phishing_bare.json")
    problems = refused(as_bytes({"response": [{"Event": one}, {"Event": one}]}), demo_user("demo-analyst"))
    assert problems == [
        "The file holds 2 events; import one event per file (each event becomes one indicator set)."
    ]


def test_every_bad_attribute_is_named_and_nothing_is_stored(demo_user):
    good = {"uuid": "11111111-1111-4111-8111-111111111111", "type": "domain", "value": "ok.example.com"}
    event = minimal_event(
        good,
        {"uuid": "22222222-2222-4222-8222-222222222222", "type": "ip-dst"},
        {"uuid": "33333333-3333-4333-8333-333333333333", "value": "1.2.3.4"},
        {"uuid": "44444444-4444-4444-8444-444444444444", "type": "bogus-type", "value": "x"},
        {"uuid": "55555555-5555-4555-8555-555555555555", "type": "md5", "value": "abc"},
        {"uuid": "11111111-1111-4111-8111-111111111111", "type": "url", "value": "http://x.example"},
        {"uuid": "not-a-uuid", "type": "ip-src", "value": "999.1.1.1"},
        objects=[
            {
                "uuid": "66666666-6666-4666-8666-666666666666",
                "name": "file",
                "Attribute": [{"type": "sha1", "value": "z" * 40, "object_relation": "sha1"}],
            },
            {"uuid": "77777777-7777-4777-8777-777777777777", "name": "domain-ip", "Attribute": []},
        ],
    )
    del event["Event"]["info"]

    problems = refused(as_bytes(event), demo_user("demo-analyst"))

    assert problems == [
        "The event has no info (its title).",
        "attribute #2 (uuid 22222222-2222-4222-8222-222222222222, type 'ip-dst'): no value.",
        "attribute #3 (uuid 33333333-3333-4333-8333-333333333333): no type.",
        "attribute #4 (uuid 44444444-4444-4444-8444-444444444444, type 'bogus-type'): PyMISP refuses it: "
        "'bogus-type' is not a MISP attribute type",
        "attribute #5 (uuid 55555555-5555-4555-8555-555555555555, type 'md5'): "
        "'abc' is not a 128-bit hexadecimal hash.",
        "attribute #6 (uuid 11111111-1111-4111-8111-111111111111, type 'url'): the same uuid as attribute #1.",
        "attribute #7 (uuid not-a-uuid, type 'ip-src'): its uuid is not a UUID.",
        "attribute #7 (uuid not-a-uuid, type 'ip-src'): '999.1.1.1' is not an IP address or network.",
        "object #1 'file' (uuid 66666666-6666-4666-8666-666666666666) attribute #1 (uuid none, type 'sha1'): "
        "'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz' is not a 160-bit hexadecimal hash.",
        "object #2 'domain-ip' (uuid 77777777-7777-4777-8777-777777777777): no attributes.",
    ]


def test_object_attribute_without_relation_is_named(demo_user):
    event = minimal_event(
        objects=[
            {
                "uuid": "66666666-6666-4666-8666-666666666666",
                "name": "file",
                "Attribute": [
                    {"uuid": "88888888-8888-4888-8888-888888888888", "type": "filename", "value": "a.exe"}
                ],
            }
        ]
    )
    problems = refused(as_bytes(event), demo_user("demo-analyst"))
    assert problems == [
        "object #1 'file' (uuid 66666666-6666-4666-8666-666666666666) attribute #1 "
        "(uuid 88888888-8888-4888-8888-888888888888, type 'filename'): no object_relation "
        "(what the value is to its object)."
    ]


def test_huge_input_is_refused_before_reading(demo_user, settings, tmp_path):
    settings.CEPTOAR_EXCHANGE_MAX_BYTES = 2048
    event = minimal_event(*({"type": "comment", "value": "x" * 100} for _ in range(50)))
    path = tmp_path / "big.json"
    path.write_bytes(as_bytes(event))
    before = row_counts()
    with pytest.raises(ImportRefused) as caught:
        import_event_file(path, user=demo_user("demo-analyst"))
    assert row_counts() == before
    assert caught.value.problems[0].startswith("big.json: the file is ")
    assert "above the limit of 2,048 bytes (CEPTOAR_EXCHANGE_MAX_BYTES)" in caught.value.problems[0]
    # The same bytes through the upload path.
    problems = refused(as_bytes(event), demo_user("demo-analyst"))
    assert "CEPTOAR_EXCHANGE_MAX_BYTES" in problems[0]


def test_an_import_without_an_organisation_keeps_the_event_but_makes_no_set():
    """The operator at the command line (`ceptoar import misp FILE`): the event is kept, to export again as
    it came, but no indicator set is made without an origin, as for a STIX bundle."""
    sets = IndicatorSet.objects.count()
    exchange = import_event_file(event_path("phishing_bare.json"))
    assert exchange.organisation is None and exchange.object_count > 0
    assert IndicatorSet.objects.count() == sets
    assert export_event(exchange)["Event"] == exchange.envelope["Event"]


def test_a_failure_while_storing_leaves_nothing(demo_user, monkeypatch):
    from ceptoar.intel.misp import importing

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "add_sightings", broken)
    before = row_counts()
    with pytest.raises(RuntimeError):
        import_event_file(event_path("ics_intrusion.json"), user=demo_user("demo-analyst"))
    assert row_counts() == before


def test_reimport_reuses_observables(demo_user):
    analyst = demo_user("demo-analyst")
    import_event_file(event_path("phishing_bare.json"), user=analyst)
    observables_after_first = row_counts()[2]
    import_event_file(event_path("phishing_bare.json"), user=analyst)
    assert row_counts()[2] == observables_after_first


def test_a_nul_character_is_refused_by_where_it_is_and_nothing_is_stored(demo_user):
    """JSON may carry U+0000; PostgreSQL's JSON cannot store it. Found by the round-trip property test on
    PostgreSQL, where the import failed while storing instead of refusing."""
    event = minimal_event(
        {
            "uuid": "5f1c1c3e-0000-4000-8000-0000000000a1",
            "type": "text",
            "value": "x",
            "comment": "before\x00after",
        }
    )
    before = row_counts()
    problems = refused(as_bytes(event), demo_user("demo-analyst"))
    assert problems == [
        "Event.Attribute[0].comment: holds a NUL character (U+0000), which cannot be stored; remove it."
    ]
    assert row_counts() == before
