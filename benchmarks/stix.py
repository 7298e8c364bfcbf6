"""STIX import (issue 17): importing the ICS ATT&CK bundle (1,826 objects), stored and indexed, takes no
longer than `stix2.parse(bundle, allow_custom=True)` of the same bundle, which only parses it. Goal: ratio
(ours / stix2.parse) at most 1.0.

In one run, against a database of its own (SQLite, or PostgreSQL when DATABASE_URL names one; migrated, no
demo: the import needs only an organisation), in one process: `repetitions` rounds, each timing both, the
order alternated between rounds so that neither always runs on a warm cache. Ours is the whole of
`import_bundle(path, organisation=…)`: reading the file, JSON, every check (patterns included), and one
transaction writing the import, its 1,826 `StixObject` rows, the techniques and the indicator set with its
observables and sightings. stix2.parse is given the file's text. Medians are printed, and each round.
"""

from __future__ import annotations

import statistics
import subprocess
from pathlib import Path

from benchmarks import _harness
from ceptoar.demo import sandbox

BUNDLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "stix" / "ics-attack-18.1.json"
TARGET_RATIO = 1.0


def measure(path: str, repetitions: int) -> dict:
    """Phase: both timings, alternated, in this one process."""
    import time

    import stix2

    from ceptoar.intel.models import ExchangeImport, StixObject, Technique
    from ceptoar.intel.stix.importer import import_bundle
    from ceptoar.registry.models import Organisation, OrganisationKind

    organisation, _created = Organisation.objects.get_or_create(
        code="bench-importer", defaults={"name": "Bench importer", "kind": OrganisationKind.HUB}
    )
    text = Path(path).read_text(encoding="utf-8")
    parse_s: list[float] = []
    import_s: list[float] = []
    objects = 0

    def time_parse() -> None:
        started = time.perf_counter()
        parsed = stix2.parse(text, allow_custom=True)
        parse_s.append(time.perf_counter() - started)
        nonlocal objects
        objects = len(parsed.objects)

    def time_import() -> None:
        started = time.perf_counter()
        import_bundle(path, organisation=organisation)
        import_s.append(time.perf_counter() - started)

    for round_number in range(repetitions):
        for step in (time_parse, time_import) if round_number % 2 == 0 else (time_import, time_parse):
            step()
    return {
        "objects": objects,
        "imports_stored": ExchangeImport.objects.count(),
        "stix_objects_stored": StixObject.objects.count(),
        "techniques": Technique.objects.count(),
        "parse_s": parse_s,
        "import_s": import_s,
    }


def run(repetitions: int = 7, bundle: str | None = None) -> dict:
    path = Path(bundle) if bundle else BUNDLE.resolve()
    if not path.is_file():
        raise RuntimeError(f"{path} not found: the benchmark reads the ICS ATT&CK bundle of ../shared/data")
    result: dict = {"benchmark": "stix", "machine": _harness.machine(), "bundle": path.name}
    with sandbox.workspace("stix") as space:
        result["database"] = space.database
        if space.database == "postgresql":
            result["postgresql"] = sandbox.postgres_version(space.env["DATABASE_URL"])
        completed = subprocess.run(  # noqa: S603 - our own entry point
            sandbox.ceptoar_command("migrate", "--noinput"), env=space.env, capture_output=True, text=True
        )
        if completed.returncode:
            raise RuntimeError(f"migrating the benchmark's database failed:\n{completed.stderr[-3000:]}")
        measured = _harness.run_phase(space, "stix.measure", path=str(path), repetitions=repetitions)
    parse_median = statistics.median(measured["parse_s"])
    import_median = statistics.median(measured["import_s"])
    ratio = import_median / parse_median
    result.update(
        {
            "objects": measured["objects"],
            "repetitions": repetitions,
            "stix2_parse_median_s": round(parse_median, 3),
            "import_median_s": round(import_median, 3),
            "ratio": round(ratio, 3),
            "target_ratio": TARGET_RATIO,
            "within_target": ratio <= TARGET_RATIO,
            "stix2_parse_s": [round(seconds, 3) for seconds in measured["parse_s"]],
            "import_s": [round(seconds, 3) for seconds in measured["import_s"]],
            "imports_stored": measured["imports_stored"],
            "stix_objects_stored": measured["stix_objects_stored"],
            "techniques": measured["techniques"],
        }
    )
    return result
