"""`ceptoar import stix FILE` and `ceptoar export stix …` from the command line: summaries, every problem on
standard error, refusals as clear errors, and the policy asked as the person named by --as."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ceptoar.intel.models import ExchangeImport, IndicatorSet
from tests.alerts.pages import published
from tests.intel.stix_support import row_counts, sight

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

T = "2025-04-01T09:00:00.000Z"
BUNDLE = {
    "type": "bundle",
    "id": "bundle--21111111-2222-4333-8444-555555555555",
    "objects": [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": "indicator--31111111-2222-4333-8444-555555555555",
            "created": T,
            "modified": T,
            "name": "C2",
            "pattern": "[domain-name:value = 'c2.example.net']",
            "pattern_type": "stix",
            "valid_from": T,
        }
    ],
}


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_then_export_the_import_verbatim(tmp_path):
    source = tmp_path / "feed.json"
    source.write_text(json.dumps(BUNDLE), encoding="utf-8")

    out, _err = run("import", "stix", str(source), "--organisation", "nisc")

    source_import = ExchangeImport.objects.get(source_id=BUNDLE["id"])
    assert f"as import {source_import.pk}: 1 object." in out
    assert source_import.organisation.code == "nisc"
    assert IndicatorSet.objects.get(source_import=source_import).origin_organisation.code == "nisc"
    target = tmp_path / "out.json"
    out, _err = run("export", "stix", "--source", str(source_import.pk), "--output", str(target))
    assert json.loads(target.read_text(encoding="utf-8")) == BUNDLE
    assert "1 objects" in out


def test_a_refused_import_prints_each_problem_and_stores_nothing(tmp_path):
    broken = json.loads(json.dumps(BUNDLE))
    broken["objects"][0]["pattern"] = "[domain-name:value = 'c2.example.net'"
    broken["objects"].append({"type": "nonsense", "id": "nonsense--1"})
    source = tmp_path / "broken.json"
    source.write_text(json.dumps(broken), encoding="utf-8")
    before = row_counts()
    err = io.StringIO()

    with pytest.raises(CommandError, match="Nothing was imported from .*broken.json: 6 problems"):
        call_command("import", "stix", str(source), stderr=err, stdout=io.StringIO())

    assert "object 1 (indicator--31111111-2222-4333-8444-555555555555): broken STIX pattern" in err.getvalue()
    assert "object 2 (nonsense--1)" in err.getvalue()
    assert row_counts() == before


def test_import_names_a_missing_file_or_organisation(tmp_path):
    with pytest.raises(CommandError, match="Cannot import"):
        run("import", "stix", str(tmp_path / "absent.json"))
    source = tmp_path / "feed.json"
    source.write_text(json.dumps(BUNDLE), encoding="utf-8")
    with pytest.raises(CommandError, match="No organisation has the code nowhere"):
        run("import", "stix", str(source), "--organisation", "nowhere")


def test_exporting_an_alert_asks_the_policy_as_the_person_named(demo_user, tmp_path):
    alert = published(demo_user("demo-hub"))
    sight("alert", alert, [("ipv4-addr", "203.0.113.5")])
    target = tmp_path / "alert.json"

    with pytest.raises(CommandError, match="needs --as USERNAME"):
        run("export", "stix", "--alert", str(alert.pk), "--output", str(target))
    with pytest.raises(CommandError, match="demo-water may not read alert"):
        run("export", "stix", "--alert", str(alert.pk), "--as", "demo-water", "--output", str(target))
    assert not target.exists()
    with pytest.raises(CommandError, match="There is no user ghost"):
        run("export", "stix", "--alert", str(alert.pk), "--as", "ghost", "--output", str(target))
    with pytest.raises(CommandError, match="There is no alert with id 999999"):
        run("export", "stix", "--alert", "999999", "--as", "demo-member", "--output", str(target))

    run("export", "stix", "--alert", str(alert.pk), "--as", "demo-member", "--output", str(target))
    bundle = json.loads(target.read_text(encoding="utf-8"))
    assert "[ipv4-addr:value = '203.0.113.5']" in [o.get("pattern") for o in bundle["objects"]]


def test_one_selector_is_required(tmp_path):
    with pytest.raises(CommandError):
        run("export", "stix", "--output", str(tmp_path / "x.json"))


def test_a_dry_run_checks_the_bundle_and_stores_nothing(tmp_path):
    source = tmp_path / "feed.json"
    source.write_text(json.dumps(BUNDLE), encoding="utf-8")
    before = row_counts()

    out, _err = run("import", "stix", str(source), "--dry-run")

    assert "is a valid STIX 2.1 bundle of 1 objects; nothing was stored." in out
    assert row_counts() == before


def test_misp_from_the_command_line_both_ways(tmp_path):
    """`ceptoar import misp FILE` (no organisation: the event is kept, no set) and `ceptoar export misp
    --source ID --output FILE` give the event back as it came, and it loads in PyMISP; a broken event is
    refused with its attribute named and nothing stored."""
    import pymisp

    from tests.intel.misp_support import event_path

    out, _err = run("import", "misp", str(event_path("ics_intrusion.json")))
    exchange = ExchangeImport.objects.latest("pk")
    assert f"as import {exchange.pk}" in out
    target = tmp_path / "event.json"
    run("export", "misp", "--source", str(exchange.pk), "--output", str(target))
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["Event"] == exchange.envelope["Event"]
    event = pymisp.MISPEvent()
    event.load(written)
    assert event.attributes and event.objects

    broken = json.loads(event_path("ics_intrusion.json").read_text(encoding="utf-8"))
    broken["Event"]["Attribute"][0]["value"] = "not-a-hash"
    broken["Event"]["Attribute"][0]["type"] = "md5"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken), encoding="utf-8")
    before = row_counts()
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import", "misp", str(bad), stdout=io.StringIO(), stderr=err)
    assert "attribute #1" in err.getvalue() and "not-a-hash" in err.getvalue()
    assert row_counts() == before
