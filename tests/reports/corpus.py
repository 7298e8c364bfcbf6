"""The labelled test sets of incident reports and how they are scored; the format and the scoring live in
`ceptoar.reports.anonymisation.evaluation` (so that `ceptoar anonymize --score` can print the figures).

- corpus/: 36 reports written with the engine (issue 4);
- heldout/: 20 reports written afterwards in other styles, before the engine was run on them (issue 16);
- heldout/aside/: 10 more, never looked at while the engine was tuned (issue 16).
"""

from __future__ import annotations

from pathlib import Path

from ceptoar.reports.anonymisation.evaluation import (
    ENGINE_KIND,
    GoldSpan,
    LabelledReport,
    Score,
    is_found,
    labelled_files,
    load_report,
    measure,
    score,
)

CORPUS_DIR = Path(__file__).parent / "corpus"
HELDOUT_DIR = Path(__file__).parent / "heldout"
ASIDE_DIR = HELDOUT_DIR / "aside"

__all__ = [
    "ASIDE_DIR",
    "CORPUS_DIR",
    "ENGINE_KIND",
    "HELDOUT_DIR",
    "GoldSpan",
    "LabelledReport",
    "Score",
    "corpus_files",
    "is_found",
    "labelled_files",
    "load_report",
    "measure",
    "score",
]


def corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.txt"))
