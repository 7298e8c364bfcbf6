"""The text of an import file before any record is read: its encoding and its size (its JSON structure is
checked in json_text.py).

A member list comes from a secretariat's spreadsheet, so it is UTF-8 or Shift_JIS (cp932, as Windows saves
it), sometimes EUC-JP from an old Unix system. The bytes of one encoding often decode without error in
another and give plausible-looking nonsense: EUC-JP read as cp932 turns kana and kanji into runs of
half-width katakana, and an import would then overwrite stored names with it. So the file is read as UTF-8
when it is valid UTF-8 (and not EUC-JP that happens to be), as cp932 only when the text it gives is what a
Japanese member list holds, and is otherwise refused naming the line where it goes wrong; `--encoding`
names the encoding when it is known.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class TextProblem:
    """What is wrong with the file's text, and where: a line, or a place in the JSON (path and field)."""

    message: str
    line: int | None = None
    path: str = ""
    field: str = ""


class UnreadableText(Exception):
    """The file's text cannot be read as an import file; `problems` say what was wrong and where."""

    def __init__(self, message_or_problems: str | list[TextProblem], line: int | None = None) -> None:
        if isinstance(message_or_problems, str):
            message_or_problems = [TextProblem(message_or_problems, line)]
        self.problems = message_or_problems
        super().__init__("\n".join(problem.message for problem in self.problems))

    @property
    def message(self) -> str:
        return self.problems[0].message

    @property
    def line(self) -> int | None:
        return self.problems[0].line


# -- limits ----------------------------------------------------------------------------------------------

# The format nests five deep (document, section, record, profile or channels, list); anything much deeper
# is not a registry file, and Python's JSON parser would run out of stack on it.
MAX_JSON_DEPTH = 20
# The longest text the registry holds is a CEPTOAR's handling rules: some tens of pages.
MAX_FIELD_CHARS = 100_000


def refuse_oversized(size: int) -> None:
    limit = settings.CEPTOAR_IMPORT_MAX_BYTES
    if size > limit:
        raise UnreadableText(
            _(
                "The file is %(size)s bytes; an import reads at most %(limit)s bytes "
                "(CEPTOAR_IMPORT_MAX_BYTES). Split the file."
            )
            % {"size": f"{size:,}", "limit": f"{limit:,}"}
        )


def read_file(path: Path) -> bytes:
    """The file's bytes; over the size limit, refused without reading the whole of it."""
    with path.open("rb") as file:
        data = file.read(settings.CEPTOAR_IMPORT_MAX_BYTES + 1)
    refuse_oversized(max(len(data), path.stat().st_size))
    return data


def refuse_too_many_records(count: int, line: int | None = None) -> None:
    limit = settings.CEPTOAR_IMPORT_MAX_RECORDS
    if count > limit:
        raise UnreadableText(
            _(
                "The file holds more than %(limit)s records, the most an import takes "
                "(CEPTOAR_IMPORT_MAX_RECORDS). Split the file."
            )
            % {"limit": f"{limit:,}"},
            line,
        )


def field_too_long(length: int) -> str | None:
    """The message for a text field or cell of this length, when it is longer than any the registry holds."""
    if length <= MAX_FIELD_CHARS:
        return None
    return _("This text is %(length)s characters long; a field holds at most %(limit)s.") % {
        "length": f"{length:,}",
        "limit": f"{MAX_FIELD_CHARS:,}",
    }


# -- encodings -------------------------------------------------------------------------------------------

# The encodings `--encoding` accepts, by their usual names, with the spellings people also use for them.
ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932", "euc-jp": "euc_jp"}
_ALIASES = {
    "utf8": "utf-8",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "ms932": "cp932",
    "eucjp": "euc-jp",
}


def encoding_named(name: str) -> str:
    """The canonical name (utf-8, cp932, euc-jp) of an encoding given by name; ValueError names the choices."""
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    if key not in ENCODINGS:
        raise ValueError(
            _("Unknown encoding %(name)s; give one of %(choices)s.")
            % {"name": name, "choices": ", ".join(ENCODINGS)}
        )
    return key


def line_at(data: bytes | str, position: int) -> int:
    return data.count(b"\n" if isinstance(data, bytes) else "\n", 0, position) + 1


def text_of(data: bytes | str, encoding: str | None = None, *, shift_jis: bool = True) -> str:
    """The file's text, for bytes decoded (see decode()); text is checked for control characters."""
    refuse_oversized(len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass")))
    if isinstance(data, bytes):
        return decode(data, encoding, shift_jis=shift_jis)
    _refuse_control_characters(data)
    return data.removeprefix("\ufeff")


def decode(data: bytes, encoding: str | None = None, *, shift_jis: bool = True) -> str:
    """The file's text. With `encoding` (a name from ENCODINGS) every byte must decode in it; without, the
    file must be UTF-8 or, when `shift_jis`, plausible cp932. Raises UnreadableText naming the line."""
    if encoding is not None:
        text = _decode_strictly(data, encoding_named(encoding))
    else:
        _refuse_other_families(data)
        text = _guess(data, shift_jis)
    _refuse_control_characters(text)
    return text.removeprefix("\ufeff")


def _decode_strictly(data: bytes, name: str) -> str:
    try:
        return data.decode(ENCODINGS[name])
    except UnicodeDecodeError as error:
        line = line_at(data, error.start)
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise UnreadableText(
            _(
                "This line is not %(encoding)s text: byte 0x%(byte)02X (byte %(column)d of the line) does not decode."
            )
            % {"encoding": name, "byte": data[error.start], "column": column},
            line,
        ) from None


def _refuse_other_families(data: bytes) -> None:
    """UTF-16 and ISO-2022-JP decode "successfully" as UTF-8 more often than not; say what they are."""
    # UTF-16 starts with a byte order mark, or else gives away its ASCII characters: a zero byte in every
    # other place.
    if (
        data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        or max(data[0::2].count(0), data[1::2].count(0)) > len(data) // 8
    ):
        raise UnreadableText(_("The file is UTF-16 text. Save it as UTF-8 and import it again."), 1)
    escape = re.search(rb"\x1b[$(][@BJ]", data)
    if escape:
        raise UnreadableText(
            _("The file is ISO-2022-JP (JIS) text. Save it as UTF-8 and import it again."),
            line_at(data, escape.start()),
        )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _refuse_control_characters(text: str) -> None:
    # A member list is text: a control character means a binary file or a broken encoding, and
    # PostgreSQL would refuse NUL in the middle of the writing.
    found = _CONTROL.search(text)
    if found:
        raise UnreadableText(
            _("This line holds the control character U+%(code)04X, which a text file does not contain.")
            % {"code": ord(found.group())},
            line_at(text, found.start()),
        )


# -- telling Shift_JIS from what only decodes as it ------------------------------------------------------
#
# Each way of reading the bytes (UTF-8, cp932, EUC-JP) is judged by the characters it gives. A reading is
# implausible when a line holds what no member list does (private-use or control characters, half-width
# katakana that no one could have typed, a Latin-1 letter turned into one odd character); of two readings
# that both pass, the one with more of what Japanese text is made of wins.

_COMMON, _LATIN, _HALF_WIDTH, _OTHER = "common", "latin", "half-width", "other"


@functools.lru_cache(maxsize=4096)
def _kind(char: str) -> str:
    """What kind of character this is in a Japanese member list. Only asked of non-ASCII characters."""
    code = ord(char)
    if 0xFF61 <= code <= 0xFF9F:
        return _HALF_WIDTH
    if 0xC0 <= code <= 0x17F and code not in (0xD7, 0xF7):
        return _LATIN  # letters of European names: é, ü, ø, ł
    try:
        euc = char.encode("euc_jp")
    except UnicodeEncodeError:
        return _OTHER  # among them the Windows characters (①, ㈱, 髙): real, but rare in text
    # JIS X 0208 rows 1-47: symbols, kana, Greek and Cyrillic letters, the first level of kanji. The second
    # level (rows 48-84) and JIS X 0212 are rare in text, and common in text decoded the wrong way.
    return _COMMON if len(euc) == 2 and 0xA1 <= euc[0] < 0xD0 else _OTHER


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _touches_ascii_letter(text: str, start: int, end: int) -> bool:
    before, after = text[start - 1 : start], text[end : end + 1]
    return (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha())


def _euc_jp_rows(first: int, last: int) -> str:
    """Every character of JIS X 0208 rows `first` to `last` (EUC-JP bytes 0xA0 + row, 0xA0 + cell)."""
    pairs = (bytes((0xA0 + row, 0xA0 + cell)) for row in range(first, last + 1) for cell in range(1, 95))
    return "".join(
        char for char in (pair.decode("euc_jp", "replace") for pair in pairs) if "\ufffd" not in char
    )


# What no member list holds, each the mark of bytes read in the wrong encoding:
_IMPLAUSIBLE = [
    # private use (cp932's user-defined area, and its reading of bytes A0, FD-FF) and C1 controls (byte 80)
    re.compile(r"[\u0080-\u009f\ue000-\uf8ff]"),
    # half-width katakana no one could have typed: a voiced mark after a kana that takes none, a small
    # kana, long-vowel mark or voiced mark that follows no kana
    re.compile(r"(?<![ｳｶ-ﾄﾊ-ﾎﾜｦ])ﾞ|(?<![ﾊ-ﾎ])ﾟ|(?<![ｦ-ﾟ])[ｧ-ｰﾞﾟ]"),
    # a Latin-1 letter (é, ü) between two ASCII letters, read as cp932: one second-level kanji or
    # half-width katakana inside a Latin word
    re.compile(r"[A-Za-z]([" + re.escape(_euc_jp_rows(48, 84)) + r"\uff61-\uff9f])[A-Za-z]"),
]


def _first_implausible_line(text: str) -> int | None:
    found = [match.start(match.lastindex or 0) for pattern in _IMPLAUSIBLE if (match := pattern.search(text))]
    return line_at(text, min(found)) if found else None


def _japanese_share(text: str) -> float:
    """The share of the non-ASCII characters that Japanese text is mostly made of: kana, first-level
    kanji, JIS symbols, and accented letters within Latin words."""
    counts = Counter("".join(_NON_ASCII_RUN.findall(text)))
    if not counts:
        return 1.0
    expected = sum(n for char, n in counts.items() if _kind(char) == _COMMON or char in _WESTERN_SYMBOLS)
    if any(_kind(char) == _LATIN for char in counts):
        for run in _NON_ASCII_RUN.finditer(text):
            if len(run.group()) <= 2 and _touches_ascii_letter(text, *run.span()):
                expected += sum(1 for char in run.group() if _kind(char) == _LATIN)
    return expected / counts.total()


# Western symbols that Japanese text may hold though JIS X 0208 lacks them.
_WESTERN_SYMBOLS = set("\u00a0\u00a9\u00ae\u00a5\u00b5\u00b7\u00ab\u00bb")


def _share_of(text: str, kind: str) -> float:
    non_ascii = "".join(_NON_ASCII_RUN.findall(text))
    return sum(1 for c in non_ascii if _kind(c) == kind) / len(non_ascii) if non_ascii else 0.0


_JAPANESE_OR_LATIN = re.compile(
    r"[\u00c0-\u017f\u3000-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]"
)


def _utf8_share(data: bytes) -> float:
    """The share of the non-ASCII bytes that form UTF-8 characters of Japanese or Latin text."""
    # A few bytes of Shift_JIS also form UTF-8 characters, but outlandish ones.
    high = len(data) - len(data.translate(None, bytes(range(0x80, 0x100))))
    real = "".join(_JAPANESE_OR_LATIN.findall(data.decode("utf-8", "replace")))
    return len(real.encode("utf-8")) / high if high else 1.0


_BEYOND_TWO_BYTES = re.compile(r"[^\x00-\u07ff]")


def _utf8_by_chance(text: str) -> bool:
    """Valid UTF-8 that may be EUC-JP or Shift_JIS: no Japanese at all, and characters that are not
    letters in Latin words (two-byte sequences of those encodings give Greek, IPA, Hebrew, odd Latin)."""
    if text.isascii() or _BEYOND_TWO_BYTES.search(text):
        return False
    return _japanese_share(text) < 1.0


def _guess(data: bytes, shift_jis: bool) -> str:
    try:
        utf8 = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        utf8, utf8_line = None, line_at(data, error.start)
    else:
        if not _utf8_by_chance(utf8):
            return utf8
    if utf8 is None and _utf8_share(data) >= 0.8:
        raise UnreadableText(
            _(
                "This line is not UTF-8 text, though the rest of the file is: a character on it was saved "
                "in another encoding or cut short. Correct the line, or save the file as UTF-8 again."
            ),
            utf8_line,
        )
    try:
        cp932 = data.decode("cp932")
    except UnicodeDecodeError as error:
        cp932, sjis_line = None, line_at(data, error.start)
    else:
        sjis_line = _first_implausible_line(cp932)
        if sjis_line is not None:
            cp932 = None
    if _reads_as_euc_jp(data, [reading for reading in (utf8, cp932) if reading is not None]):
        first_non_ascii = re.search(rb"[\x80-\xff]", data)
        raise UnreadableText(
            _(
                "The file is neither UTF-8 nor Shift_JIS (cp932) text; it reads as EUC-JP. Give --encoding "
                "euc-jp, or save the file as UTF-8. (If it is Shift_JIS after all, give --encoding cp932.)"
            ),
            line_at(data, first_non_ascii.start()) if first_non_ascii else 1,
        )
    if utf8 is not None:
        return utf8  # odd characters, but nothing reads better
    if cp932 is not None and shift_jis:
        return cp932
    if not shift_jis:
        raise UnreadableText(
            _(
                "This line is not UTF-8 text, and a JSON file is UTF-8. Save the file as UTF-8, or name its "
                "encoding with --encoding."
            ),
            utf8_line,
        )
    raise UnreadableText(
        _(
            "The file is neither UTF-8 nor Shift_JIS (cp932) text: read as UTF-8 it goes wrong on line "
            "%(utf8)d, read as Shift_JIS on line %(sjis)d. Save the file as UTF-8, or name its encoding "
            "with --encoding."
        )
        % {"utf8": utf8_line, "sjis": sjis_line},
        max(utf8_line, sjis_line),
    )


def _reads_as_euc_jp(data: bytes, other_readings: list[str]) -> bool:
    """Whether the bytes are EUC-JP text: they read as it plausibly, and better than as anything else."""
    # A character or two that EUC-JP proper lacks (eucJP-ms's ① from a Linux system) does not make a file
    # any less EUC-JP: `--encoding euc-jp` then names their lines.
    euc = data.decode("euc_jp", "replace")
    undecodable = euc.count("\ufffd")
    if undecodable > len("".join(_NON_ASCII_RUN.findall(euc))) // 20:
        return False
    euc = euc.replace("\ufffd", "")
    if _first_implausible_line(euc) is not None:
        return False
    if _japanese_share(euc) > max((_japanese_share(text) for text in other_readings), default=0.0) + 0.3:
        return True
    # EUC-JP writes a half-width katakana as 0x8E and the katakana's byte, which cp932 reads as one of the
    # kanji 0x8EA1-0x8EDF: ordinary-looking kanji, all from one corner of the table. Text that reads as
    # mostly half-width katakana in EUC-JP is that.
    return _share_of(euc, _HALF_WIDTH) > 0.5
