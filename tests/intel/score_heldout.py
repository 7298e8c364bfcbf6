"""Score the extractor on the held-out texts (tests/intel/extraction_heldout/: written before the
extractor, never used to tune it): precision and recall over (type, value) pairs.

    PYTHONPATH=src python -m tests.intel.score_heldout
"""

from __future__ import annotations

import json
from pathlib import Path

import django

FOLDER = Path(__file__).parent / "extraction_heldout"


def score(folder: Path = FOLDER) -> dict:
    from ceptoar.intel.extraction import extract

    true_positives = found_total = expected_total = 0
    per_text = {}
    for text_file in sorted(folder.glob("*.txt")):
        expected = {tuple(pair) for pair in json.loads(text_file.with_suffix(".json").read_text("utf-8"))}
        found = {(item.type, item.value) for item in extract(text_file.read_text("utf-8"))}
        correct = len(found & expected)
        true_positives += correct
        found_total += len(found)
        expected_total += len(expected)
        per_text[text_file.name] = {
            "precision": correct / len(found) if found else 1.0,
            "recall": correct / len(expected) if expected else 1.0,
            "missed": sorted(expected - found),
            "extra": sorted(found - expected),
        }
    return {
        "precision": true_positives / found_total if found_total else 1.0,
        "recall": true_positives / expected_total if expected_total else 1.0,
        "found": found_total,
        "expected": expected_total,
        "correct": true_positives,
        "texts": per_text,
    }


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ceptoar.settings")
    django.setup()
    print(json.dumps(score(), ensure_ascii=False, indent=1))
