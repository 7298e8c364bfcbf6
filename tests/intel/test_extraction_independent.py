"""The independent held-out texts (tests/intel/extraction_heldout_independent/: six texts and their
expected values written and committed by a helper who had not read the extractor) guard against
regressions. Measured once, on first run: precision 0.974 (111/114), recall 0.991 (111/112); the
floors below are those figures rounded down to 0.05, a guard and not a target. Known at that run:
"・" (katakana middle dot, a bullet) taken into a file name, "ASP.NET" found as the domain asp.net,
and a lower-case technique id (t1204.002) missed."""

from tests.intel.score_independent import score_independent


def test_independent_held_out_texts_score():
    result = score_independent()
    assert result["expected"] == 112
    assert result["precision"] >= 0.95, result["texts"]
    assert result["recall"] >= 0.95, result["texts"]
