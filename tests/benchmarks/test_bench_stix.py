"""The STIX benchmark, run small (two rounds): the real harness — a migrated database of its own, the ICS
ATT&CK bundle imported as `ceptoar bench stix` imports it — checked for what it counts, not how fast."""

from __future__ import annotations

import pytest

from benchmarks import stix
from tests.intel.stix_support import attack_bundle


def test_stix_benchmark_imports_the_whole_bundle_and_times_both():
    path = attack_bundle()

    result = stix.run(repetitions=2, bundle=str(path))

    assert result["objects"] == 1826
    assert result["imports_stored"] == 2
    assert result["stix_objects_stored"] == 2 * 1826
    assert result["techniques"] == 95
    assert len(result["stix2_parse_s"]) == len(result["import_s"]) == 2
    assert all(seconds > 0 for seconds in result["stix2_parse_s"] + result["import_s"])
    assert result["ratio"] == pytest.approx(
        result["import_median_s"] / result["stix2_parse_median_s"], abs=0.01
    )
    assert result["database"] in ("sqlite", "postgresql")
