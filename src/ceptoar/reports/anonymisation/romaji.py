"""Japanese personal names in Latin letters: the spellings a reading (katakana) is written with, and the
name list they are derived from.

Members write their own and their colleagues' names in Latin letters in e-mail signatures, chat
display names and English summaries, in either order (TANAKA Hiroshi, Hiroshi Tanaka). The analyser
only reads Japanese script, so the family and given names of UniDic (固有名詞・人名・姓/名, with their
readings) are romanised once into `latin_names.json`, with the spellings people actually use for one
reading: Hepburn with the long vowel written out, dropped or as h (サトウ → satou, sato, satoh), the
long o as oo or oh (オオノ → oono, ono, ohno), n before b/m/p as m (ホンマ → honma, homma), and an
apostrophe-less n before a vowel (ジュンイチ → junichi).

Rebuild the list (about 40 s, reading the whole dictionary) after upgrading unidic-lite:

    python -m ceptoar.reports.anonymisation.romaji
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from pathlib import Path

NAME_LIST = Path(__file__).with_name("latin_names.json")

_DIGRAPHS = {
    "キャ": "kya", "キュ": "kyu", "キョ": "kyo", "シャ": "sha", "シュ": "shu", "ショ": "sho", "シェ": "she",
    "チャ": "cha", "チュ": "chu", "チョ": "cho", "チェ": "che", "ニャ": "nya", "ニュ": "nyu", "ニョ": "nyo",
    "ヒャ": "hya", "ヒュ": "hyu", "ヒョ": "hyo", "ミャ": "mya", "ミュ": "myu", "ミョ": "myo", "リャ": "rya",
    "リュ": "ryu", "リョ": "ryo", "ギャ": "gya", "ギュ": "gyu", "ギョ": "gyo", "ジャ": "ja", "ジュ": "ju",
    "ジョ": "jo", "ジェ": "je", "ビャ": "bya", "ビュ": "byu", "ビョ": "byo", "ピャ": "pya", "ピュ": "pyu",
    "ピョ": "pyo", "ヂャ": "ja", "ヂュ": "ju", "ヂョ": "jo", "ファ": "fa", "フィ": "fi", "フェ": "fe",
    "フォ": "fo", "ティ": "ti", "ディ": "di", "ウィ": "wi", "ウェ": "we", "ウォ": "wo", "ヴァ": "va",
}  # fmt: skip
_KANA = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヰヱヲン"
    "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴァィゥェォ"
)
_SYLLABLES = (
    "a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho "
    "ma mi mu me mo ya yu yo ra ri ru re ro wa i e o n ga gi gu ge go za ji zu ze zo da ji zu de do "
    "ba bi bu be bo pa pi pu pe po vu a i u e o"
)
_MONOGRAPHS = dict(zip(_KANA, _SYLLABLES.split(), strict=True))


def _hiragana_to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def hepburn(reading: str) -> str | None:
    """The plain Hepburn spelling of a katakana (or hiragana) reading, long vowels written out
    (サトウ → satou, オオノ → oono, ヨーコ → yoko); None when the reading holds anything else."""
    kana = _hiragana_to_katakana(reading)
    out: list[str] = []
    i = 0
    double = False
    while i < len(kana):
        pair = kana[i : i + 2]
        if pair in _DIGRAPHS:
            syllable, i = _DIGRAPHS[pair], i + 2
        elif kana[i] == "ッ":
            double, i = True, i + 1
            continue
        elif kana[i] == "ー":
            i += 1
            continue
        elif kana[i] in _MONOGRAPHS:
            syllable, i = _MONOGRAPHS[kana[i]], i + 1
        else:
            return None
        if double:
            syllable = ("t" + syllable) if syllable.startswith("ch") else syllable[0] + syllable
            double = False
        out.append(syllable)
    return "".join(out) or None


# Each rule gives the spellings one stretch of a plain Hepburn name may be written with.
_VARIANTS = (
    (re.compile(r"ou|oo"), ("o", "ou", "oh", "oo")),
    (re.compile(r"uu"), ("u", "uu")),
    (re.compile(r"n(?=[bmp])"), ("n", "m")),
)


def spellings(reading: str) -> set[str]:
    """Every usual Latin spelling of a reading, lower case."""
    plain = hepburn(reading)
    if plain is None:
        return set()
    results = {plain}
    for pattern, choices in _VARIANTS:
        expanded = set()
        for spelling in results:
            pieces = pattern.split(spelling)
            if len(pieces) > 4:  # too many long vowels to vary: keep the plain form
                expanded.add(spelling)
                continue
            for combination in itertools.product(choices, repeat=len(pieces) - 1):
                expanded.add(pieces[0] + "".join(c + p for c, p in zip(combination, pieces[1:], strict=True)))
        results = expanded
    return results


@functools.cache
def name_list() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(family names, given names) in Latin letters, lower case, and family names of one kanji."""
    data = json.loads(NAME_LIST.read_text(encoding="utf-8"))
    return frozenset(data["family"]), frozenset(data["given"]), frozenset(data["one_kanji_family"])


def build_name_list(dictionary: Path) -> dict[str, list[str]]:
    """Read every person-name entry of a UniDic `sys.dic` (its feature strings are plain UTF-8)."""
    entry = re.compile(rb"\xe5\x90\x8d\xe8\xa9\x9e,\xe5\x9b\xba\xe6\x9c\x89\xe5\x90\x8d\xe8\xa9\x9e,"
                       rb"\xe4\xba\xba\xe5\x90\x8d,[^\x00,]+,[^\x00]*")  # 名詞,固有名詞,人名,…  # fmt: skip
    family: set[str] = set()
    given: set[str] = set()
    one_kanji: set[str] = set()
    for match in entry.finditer(dictionary.read_bytes()):
        fields = match.group().decode("utf-8", "replace").split(",")
        if len(fields) < 9 or fields[3] not in ("姓", "名"):
            continue
        reading, orth = fields[6], fields[8]
        names = {s for s in spellings(reading) if len(s) >= 2}
        if fields[3] == "姓":
            family |= names
            if len(orth) == 1 and "\u4e00" <= orth <= "\u9fff":
                one_kanji.add(orth)
        else:
            given |= names
    return {"family": sorted(family), "given": sorted(given), "one_kanji_family": sorted(one_kanji)}


def main() -> None:
    import unidic_lite

    data = build_name_list(Path(unidic_lite.DICDIR) / "sys.dic")
    NAME_LIST.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{NAME_LIST}: {len(data['family'])} family, {len(data['given'])} given, "
          f"{len(data['one_kanji_family'])} one-kanji family names")  # fmt: skip


if __name__ == "__main__":
    main()
