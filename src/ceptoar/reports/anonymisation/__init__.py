"""Anonymisation of incident reports into failure cases (障害事例): see docs/anonymisation.md.

lexicon = Lexicon.from_registry()          # once; reuse it for many texts
result = anonymise(text, lexicon=lexicon, reporter="water-0001")
result.text, result.redactions             # spans refer to the original text
"""

from ceptoar.reports.anonymisation.engine import KINDS, Redaction, Result, anonymise
from ceptoar.reports.anonymisation.lexicon import Lexicon

__all__ = ["KINDS", "Lexicon", "Redaction", "Result", "anonymise"]
