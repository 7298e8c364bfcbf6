"""STIX 2.1 bundles in: markings mapped (TLP 2.0, TLP 1.0, other platforms' ids), custom content kept,
provenance recorded, indicators and SCOs sighted on a draft indicator set; and bad input refused whole, every
problem naming its object, with nothing stored."""

from __future__ import annotations

import hashlib
import json

import pytest

from ceptoar.intel.models import (
    ExchangeImport,
    IndicatorSet,
    IndicatorSetStatus,
    Observable,
    Sighting,
    SightingSource,
    StixObject,
)
from ceptoar.intel.problems import ImportRefused
from ceptoar.intel.stix import export, importer, markings
from ceptoar.sharing.models import Tlp
from tests.intel.stix_support import row_counts

pytestmark = pytest.mark.django_db

IDENTITY = "identity--0b9c3f2e-5d0a-4c61-9a43-8f1b2b3c4d5e"
TLP2_AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
TLP1_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
TLP1_WHITE = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
TLP1_RED = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
OPENCTI_AMBER_STRICT = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"
PLATFORM_GREEN = "marking-definition--5b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
PAP = "marking-definition--7c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
COPYRIGHT = "marking-definition--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
T = "2025-04-01T09:00:00.000Z"


def indicator(number: int, pattern: str, marks: list[str] | None = None, **extra) -> dict:
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{number:012d}",
        "created": T,
        "modified": T,
        "created_by_ref": IDENTITY,
        "name": f"indicator {number}",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": T,
        **extra,
    }
    if marks is not None:
        obj["object_marking_refs"] = marks
    return obj


def bundle(*objects, bundle_id="bundle--11111111-2222-4333-8444-555555555555") -> dict:
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": IDENTITY,
        "created": T,
        "modified": T,
        "name": "JPCERT/CC",
        "identity_class": "organization",
    }
    definitions = [
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": PLATFORM_GREEN,
            "created": T,
            "name": "TLP:GREEN",
            "extensions": {
                markings.TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "green"}
            },
        },
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": PAP,
            "created": T,
            "name": "PAP:RED",
            "definition_type": "pap",
            "definition": {"pap": "red"},
        },
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": COPYRIGHT,
            "created": T,
            "definition_type": "statement",
            "definition": {"statement": "Copyright JPCERT/CC"},
        },
    ]
    return {"type": "bundle", "id": bundle_id, "objects": [identity, *definitions, *objects]}


def data(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def stored_tlps(source_import) -> dict[str, str]:
    return dict(StixObject.objects.filter(source_import=source_import).values_list("stix_id", "tlp"))


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        ([TLP2_AMBER_STRICT], Tlp.AMBER_STRICT),
        ([markings.marking_id(Tlp.CLEAR)], Tlp.CLEAR),
        ([TLP1_WHITE], Tlp.CLEAR),
        ([TLP1_GREEN], Tlp.GREEN),
        ([TLP1_RED], Tlp.RED),
        ([OPENCTI_AMBER_STRICT], Tlp.AMBER_STRICT),
        ([PLATFORM_GREEN], Tlp.GREEN),  # a platform's own id, read by its TLP 2.0 extension
        ([TLP1_GREEN, TLP2_AMBER_STRICT, PAP], Tlp.AMBER_STRICT),  # the most restrictive known one
        ([PAP], Tlp.AMBER),  # marked, but no TLP we know: AMBER
        (["marking-definition--99999999-9999-4999-8999-999999999999"], Tlp.AMBER),  # not in the bundle
        ([COPYRIGHT], ""),  # a statement restricts nothing
        (None, ""),
    ],
)
def test_markings_are_read_as_our_tlp(marks, expected):
    source_import = importer.import_bundle(
        data(bundle(indicator(1, "[ipv4-addr:value = '203.0.113.1']", marks)))
    )

    assert stored_tlps(source_import)["indicator--00000000-0000-4000-8000-000000000001"] == expected


def test_the_indicator_set_takes_the_most_restrictive_tlp_and_stays_a_draft(demo_user):
    member = demo_user("demo-member")
    source_import = importer.import_bundle(
        data(
            bundle(
                indicator(1, "[ipv4-addr:value = '203.0.113.1']", [TLP1_GREEN]),
                indicator(2, "[domain-name:value = 'EVIL.example.jp']", [TLP1_RED]),
                {
                    "type": "file",
                    "spec_version": "2.1",
                    "id": "file--6e1c2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a",
                    "hashes": {"SHA-256": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
                    "name": "invoice.exe",
                },
                {
                    "type": "vulnerability",
                    "spec_version": "2.1",
                    "id": "vulnerability--7e1c2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a",
                    "created": T,
                    "modified": T,
                    "name": "PAN-OS",
                    "external_references": [{"source_name": "cve", "external_id": "cve-2024-3400"}],
                },
            )
        ),
        user=member,
        file_name="jpcert.json",
    )

    indicator_set = IndicatorSet.objects.get(source_import=source_import)
    assert indicator_set.tlp == Tlp.RED
    assert indicator_set.status == IndicatorSetStatus.DRAFT
    assert indicator_set.origin_organisation == member.organisation
    assert indicator_set.author == member
    audience = indicator_set.audience
    assert not audience.community and not audience.organisations.exists() and not audience.people.exists()
    sighted = set(
        Sighting.objects.filter(indicator_set=indicator_set).values_list(
            "observable__type", "observable__value"
        )
    )
    assert sighted == {
        ("ipv4-addr", "203.0.113.1"),
        ("domain-name", "evil.example.jp"),
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("file-name", "invoice.exe"),
        ("cve", "CVE-2024-3400"),
    }
    assert set(Sighting.objects.filter(indicator_set=indicator_set).values_list("source", flat=True)) == {
        SightingSource.IMPORTED
    }


def test_an_observable_already_known_is_sighted_not_duplicated(demo_user):
    Observable.objects.create(type="ipv4-addr", value="203.0.113.1")
    member = demo_user("demo-member")

    importer.import_bundle(data(bundle(indicator(1, "[ipv4-addr:value = '203.0.113.1']"))), user=member)

    assert Observable.objects.filter(type="ipv4-addr", value="203.0.113.1").count() == 1
    assert Sighting.objects.filter(observable__value="203.0.113.1", indicator_set__isnull=False).count() == 1


def test_custom_types_and_properties_are_kept_and_given_back(demo_user):
    custom = {
        "type": "x-acme-sensor",
        "spec_version": "2.1",
        "id": "x-acme-sensor--3f2e1d0c-9b8a-4765-8432-10fedcba9876",
        "created": T,
        "modified": T,
        "x_acme_site": "大阪変電所",
        "readings": [1, 2.5, {"nested": None}],
    }
    declared = {
        "type": "case-incident",
        "spec_version": "2.1",
        "id": "case-incident--4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d",
        "created": T,
        "modified": T,
        "name": "OpenCTI case",
        "extensions": {
            "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba": {"extension_type": "new-sdo"}
        },
    }
    extended = indicator(1, "[url:value = 'http://evil.example.jp/']", x_opencti_score=80)
    original = bundle(custom, declared, extended)

    source_import = importer.import_bundle(data(original), user=demo_user("demo-member"))

    again = export.export_import(source_import)
    assert again == original
    assert StixObject.objects.get(source_import=source_import, type="x-acme-sensor").data == custom


def test_provenance_names_the_file_the_source_and_who_imported_it(demo_user):
    member = demo_user("demo-member")
    raw = data(bundle(indicator(1, "[ipv4-addr:value = '203.0.113.1']")))

    source_import = importer.import_bundle(raw, user=member, file_name="feed.json")

    assert source_import.file_name == "feed.json"
    assert source_import.sha256 == hashlib.sha256(raw).hexdigest()
    assert source_import.source_id == "bundle--11111111-2222-4333-8444-555555555555"
    assert source_import.source_name == "JPCERT/CC"
    assert source_import.imported_by == member
    assert source_import.organisation == member.organisation
    assert source_import.object_count == 5
    assert list(
        StixObject.objects.filter(source_import=source_import).values_list("position", flat=True)
    ) == [0, 1, 2, 3, 4]


# -- bad input ----------------------------------------------------------------------------------------


def refused(raw: bytes) -> list[str]:
    before = row_counts()
    with pytest.raises(ImportRefused) as caught:
        importer.import_bundle(raw, user=None)
    assert row_counts() == before, "a refused import stored something"
    return caught.value.problems


def test_invalid_json_is_refused_with_its_line():
    (problem,) = refused(b'{"type": "bundle", "objects": [\n  {"type": "indicator",}\n]}')
    assert "not valid JSON" in problem and "line 2" in problem


def test_something_else_than_a_bundle_is_refused():
    (problem,) = refused(data({"type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000001"}))
    assert "not a STIX bundle" in problem
    assert "not a STIX bundle" in refused(b"[1, 2, 3]")[0]
    assert "UTF-8" in refused(b'{"type": "bundle", "id": "\xe9"}')[0]


def test_every_problem_is_named_by_its_object_and_nothing_is_stored():
    problems = refused(
        data(
            bundle(
                indicator(1, "[ipv4-addr:value = '203.0.113.1'"),  # broken pattern
                {
                    "type": "widget",
                    "spec_version": "2.1",
                    "id": "widget--0d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "created": T,
                    "modified": T,
                },
                {"type": "Bad_Type!", "spec_version": "2.1", "id": "x--1", "created": T, "modified": T},
                {"type": "malware", "spec_version": "2.1", "created": T, "modified": T, "name": "no id"},
                {
                    "type": "malware",
                    "spec_version": "2.0",
                    "id": "malware--5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c",
                    "created": "yesterday",
                },
                indicator(2, "[ipv4-addr:value = '203.0.113.2']", pattern_type=None),
                indicator(3, "[ipv4-addr:value = '203.0.113.3']"),  # sound: still not stored
                "just a string",
            )
        )
    )

    text = "\n".join(problems)
    assert "object 5 (indicator--00000000-0000-4000-8000-000000000001): broken STIX pattern" in text
    assert 'object 6 (widget--0d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d): unknown type "widget"' in text
    assert 'object 7 (x--1): invalid type "Bad_Type!"' in text
    assert 'object 7 (x--1): invalid id "x--1"' in text
    assert 'object 8: no "id".' in text
    assert 'object 9 (malware--5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c): "spec_version" is "2.0"' in text
    assert 'object 9 (malware--5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c): no "modified" timestamp.' in text
    assert '"created" is not a STIX timestamp' in text
    assert (
        'object 10 (indicator--00000000-0000-4000-8000-000000000002): an indicator needs a "pattern_type".'
        in text
    )
    assert "object 12: not a JSON object." in text
    assert "indicator--00000000-0000-4000-8000-000000000003" not in text
    assert len(problems) == 10


def test_a_huge_input_is_refused_before_it_is_read(settings, tmp_path):
    settings.CEPTOAR_STIX_MAX_BYTES = 2048
    raw = data(bundle(*(indicator(n, f"[ipv4-addr:value = '203.0.113.{n}']") for n in range(1, 40))))
    path = tmp_path / "big.json"
    path.write_bytes(raw)

    (problem,) = refused(raw)
    assert "more than the 2,048 bytes" in problem and "CEPTOAR_STIX_MAX_BYTES" in problem
    before = row_counts()
    with pytest.raises(ImportRefused):
        importer.import_bundle(path)
    assert row_counts() == before


def test_the_same_object_version_twice_is_refused():
    twice = indicator(1, "[ipv4-addr:value = '203.0.113.1']")
    problems = refused(data(bundle(twice, dict(twice))))
    assert problems == [
        "object 6 (indicator--00000000-0000-4000-8000-000000000001): the same id and version (modified) "
        "appear earlier in the bundle."
    ]


def test_a_bundle_without_a_proper_id_or_objects_is_refused():
    problems = refused(data({"type": "bundle", "id": "bundle-1", "objects": {}}))
    assert any('"id" must be "bundle--"' in p for p in problems)
    assert any('no "objects" list' in p for p in problems)


def test_nothing_is_kept_of_an_import_that_fails_while_storing(monkeypatch, demo_user):
    before = row_counts()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_store_techniques", broken)
    with pytest.raises(RuntimeError):
        importer.import_bundle(
            data(bundle(indicator(1, "[ipv4-addr:value = '203.0.113.1']"))), user=demo_user("demo-member")
        )
    assert row_counts() == before
    assert not ExchangeImport.objects.filter(
        source_id="bundle--11111111-2222-4333-8444-555555555555"
    ).exists()


def attack_pattern(uuid_tail: str, external_id: str, name: str, **extra) -> dict:
    return {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": f"attack-pattern--00000000-0000-4000-8000-{uuid_tail}",
        "created": T,
        "modified": T,
        "name": name,
        "external_references": [
            {
                "source_name": "mitre-attack",
                "external_id": external_id,
                "url": f"https://attack.mitre.org/techniques/{external_id}",
            }
        ],
        "kill_chain_phases": [{"kill_chain_name": "mitre-ics-attack", "phase_name": "execution-ics"}],
        "x_mitre_domains": ["ics-attack"],
        **extra,
    }


def test_techniques_are_flagged_when_revoked_or_deprecated_and_updated_in_place():
    from ceptoar.intel.models import Technique

    first = importer.import_bundle(
        data(
            bundle(
                attack_pattern("000000000001", "T0801", "Monitor Process State"),
                attack_pattern("000000000002", "T0802", "Old name", revoked=True),
                attack_pattern("000000000003", "T0802", "Automated Collection"),
                attack_pattern("000000000004", "T0803", "Gone", x_mitre_deprecated=True),
                {**attack_pattern("000000000005", "X1", "not ATT&CK"), "external_references": []},
            )
        )
    )
    assert dict(Technique.objects.values_list("external_id", "deprecated")) == {
        "T0801": False,
        "T0802": False,  # the live one of the two under T0802
        "T0803": True,
    }
    assert Technique.objects.get(external_id="T0802").name == "Automated Collection"
    assert Technique.objects.get(external_id="T0801").tactics == ["execution-ics"]
    pk = Technique.objects.get(external_id="T0801").pk

    second = importer.import_bundle(
        data(
            bundle(
                attack_pattern(
                    "000000000001",
                    "T0801",
                    "Monitor Process State",
                    revoked=True,
                    modified="2025-05-01T00:00:00.000Z",
                ),
                bundle_id="bundle--21111111-2222-4333-8444-555555555555",
            )
        )
    )
    technique = Technique.objects.get(external_id="T0801")
    assert technique.pk == pk and technique.deprecated is True and technique.source_import == second
    assert Technique.objects.get(external_id="T0803").source_import == first


def test_a_nul_character_is_refused_by_object_and_path():
    """U+0000 is valid JSON but cannot be stored in PostgreSQL's JSON: refused by name, nothing stored."""
    document = bundle(indicator(1, "[ipv4-addr:value = '203.0.113.1']", description="a\x00b"))
    before = row_counts()
    with pytest.raises(ImportRefused) as caught:
        importer.import_bundle(json.dumps(document).encode())
    assert [p for p in caught.value.problems if "NUL" in p] == [
        "object 5 (indicator--00000000-0000-4000-8000-000000000001): description holds a NUL character "
        "(U+0000), which cannot be stored; remove it."
    ]
    assert row_counts() == before
