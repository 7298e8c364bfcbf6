"""Length-preserving folding of report text, so that every offset found in the folded text is an offset
in the original: full-width ASCII and the ideographic space become their ASCII forms (members type
０３－５５５０－１２３４ as often as 03-5550-1234), and ASCII letters are lower-cased for look-ups."""

from __future__ import annotations

_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}
_WIDTH_AND_LOWER = _WIDTH | {full: (half + 32 if 65 <= half <= 90 else half) for full, half in _WIDTH.items()}
_WIDTH_AND_LOWER |= _LOWER


def fold_width(text: str) -> str:
    """Full-width ASCII → ASCII, ideographic space → space; one character for one character."""
    return text.translate(_WIDTH)


def fold(text: str) -> str:
    """`fold_width` and ASCII lower case; the key under which the lexicon stores and finds names."""
    return text.translate(_WIDTH_AND_LOWER)


def is_ascii_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "-_")
