"""Score the extractor on the independent held-out texts (tests/intel/extraction_heldout_independent/:
written by a helper who had not read the extractor, expected values committed before the first run):
precision and recall over (type, value) pairs, overall and per text.

    PYTHONPATH=src python -m tests.intel.score_independent
"""

from __future__ import annotations

import json
from pathlib import Path

import django

from tests.intel.score_heldout import score

FOLDER = Path(__file__).parent / "extraction_heldout_independent"


def score_independent() -> dict:
    return score(FOLDER)


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ceptoar.settings")
    django.setup()
    print(json.dumps(score_independent(), ensure_ascii=False, indent=1))
