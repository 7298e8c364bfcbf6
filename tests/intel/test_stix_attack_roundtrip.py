"""The ICS ATT&CK bundle (1,826 objects, custom x-mitre-* types and x_mitre_* properties) imported and exported
again: the same objects, property for property, in the same order, and nothing the validator says about the
export that it does not say about the original."""

from __future__ import annotations

import json

import pytest

from ceptoar.intel.models import ExchangeImport, StixObject, Technique
from ceptoar.intel.stix import export, importer
from ceptoar.registry.models import Organisation
from tests.intel.stix_support import attack_bundle, findings

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def original():
    path = attack_bundle()
    return path, json.loads(path.read_bytes())


def test_export_of_the_import_gives_back_every_object_property_for_property(original):
    path, bundle = original
    source_import = importer.import_bundle(path, organisation=Organisation.objects.get(code="nisc"))

    exported = export.export_import(source_import)

    assert source_import.object_count == len(bundle["objects"]) == 1826
    assert exported["id"] == bundle["id"]
    assert set(exported) == set(bundle)
    assert len(exported["objects"]) == len(bundle["objects"])
    for position, (ours, theirs) in enumerate(zip(exported["objects"], bundle["objects"], strict=True)):
        assert ours == theirs, f"object {position} ({theirs['id']}) differs"
    custom = StixObject.objects.filter(source_import=source_import, type__startswith="x-mitre-")
    assert custom.count() == sum(1 for obj in bundle["objects"] if obj["type"].startswith("x-mitre-")) == 250


def test_the_export_passes_the_validator_as_the_original_does(original):
    path, bundle = original
    source_import = importer.import_bundle(path)

    original_errors, original_warnings = findings(path.read_text(encoding="utf-8"))
    errors, warnings = findings(json.dumps(export.export_import(source_import)))

    # The original is valid with warnings on its custom content (custom types and properties should use
    # extensions; external references have URLs without hashes): the export must say no more.
    assert original_errors == [] and errors == []
    assert warnings == original_warnings


def test_attack_patterns_become_techniques_with_provenance(original):
    path, bundle = original
    source_import = importer.import_bundle(path)

    techniques = Technique.objects.filter(source_import=source_import)
    attack_patterns = [obj for obj in bundle["objects"] if obj["type"] == "attack-pattern"]
    assert techniques.count() == len(attack_patterns) == 95
    t0886 = Technique.objects.get(external_id="T0886")
    assert t0886.name == "Remote Services"
    assert t0886.domain == "ics-attack"
    assert t0886.stix_id.startswith("attack-pattern--")
    assert t0886.tactics == ["initial-access", "lateral-movement"]
    assert source_import.source_name == "The MITRE Corporation"
    assert source_import.source_id == bundle["id"]
    assert len(source_import.sha256) == 64

    # Importing again updates the techniques in place.
    again = importer.import_bundle(path)
    assert Technique.objects.filter(external_id="T0886").count() == 1
    assert Technique.objects.get(external_id="T0886").source_import == again
    assert ExchangeImport.objects.filter(sha256=source_import.sha256).count() == 2
