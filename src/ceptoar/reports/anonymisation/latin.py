"""Personal names written in Latin letters: TANAKA Hiroshi, Hiroshi Tanaka, Mr. Sato, Sato-san, @OGAWA.

A capitalised word (Title case or ALL CAPS) is part of a name when
- it and the capitalised word next to it are a family and a given name, in either order, from the
  romanised UniDic name list (`romaji.py`): "TANAKA Hiroshi", "Yuko Ito";
- a title comes before it (Mr., Ms., Dr. …; the name may be foreign: "Mr. Brown"), a Japanese
  honorific after it ("Sato-san", "Sato san", "Satoさん"), or it is a chat mention of a known name
  ("@OGAWA");
- it is one part of a full name found elsewhere in the same text ("Shota confirmed …" after "Shota
  Sasaki"): it then stands for that person.
A lone capitalised word that merely is a name in the list (Date, Mori, Ken) is not enough: it is too
often an ordinary word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ceptoar.reports.anonymisation.detectors import Candidate
from ceptoar.reports.anonymisation.romaji import name_list

PERSON_PRIORITY = 3
MIN_LENGTH = 3  # "Ai", "Go", "No" are names too, and words far more often
TITLES_BEFORE = re.compile(r"(?:\b(?:Mr|Ms|Mrs|Miss|Dr|Prof|Mx)\.?\s+)$")
HONORIFICS_AFTER = re.compile(
    r"^(?:[- ](?:san|sama|kun|chan|sensei|shi)(?![A-Za-z])|\s?(?:さん|様|さま|氏|殿|くん|君|先生))"
)
# A word, not a piece of an identifier, a host, an address or a file name.
_WORD = re.compile(
    r"(?<![A-Za-z0-9_./\\:-])[A-Za-z]+(?![A-Za-z0-9_@/\\]|\.[A-Za-z0-9]|-(?!san|sama|kun|chan))"
)
_BETWEEN = re.compile(r"^(?: |, ?|,? )$")


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    text: str

    @property
    def capitalised(self) -> bool:
        word = self.text
        return len(word) >= 2 and (word.isupper() or (word[0].isupper() and word[1:].islower()))

    @property
    def key(self) -> str:
        return self.text.lower()


def find_latin_names(text: str) -> Iterator[Candidate]:
    family, given, _ = name_list()
    words = [_Word(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    taken: set[int] = set()  # indexes of words that are part of a name found
    found: list[tuple[int, int, str]] = []  # (first, last, identity)

    def known(word: _Word) -> bool:
        return word.capitalised and len(word.text) >= MIN_LENGTH and (word.key in family or word.key in given)

    def adjacent(i: int) -> bool:
        return i + 1 < len(words) and _BETWEEN.match(text[words[i].end : words[i + 1].start]) is not None

    def pair(i: int) -> bool:
        if not adjacent(i) or not (known(words[i]) and known(words[i + 1])):
            return False
        a, b = words[i].key, words[i + 1].key
        return (a in family and b in given) or (a in given and b in family)

    def add(first: int, last: int) -> None:
        parts = sorted(words[k].key for k in range(first, last + 1))
        found.append((first, last, "person:latin:" + " ".join(parts)))
        taken.update(range(first, last + 1))

    for i in range(len(words)):
        if i not in taken and pair(i):
            add(i, i + 1)
    for i, word in enumerate(words):
        if i in taken or not word.capitalised:
            continue
        before, after = text[max(0, word.start - 6) : word.start], text[word.end : word.end + 8]
        if TITLES_BEFORE.search(before):
            last = i + 1 if adjacent(i) and words[i + 1].capitalised and i + 1 not in taken else i
            add(i, last)
        elif HONORIFICS_AFTER.match(after) or (before.endswith("@") and known(word)):
            add(i, i)
    # One part of a full name found above, written alone further on.
    full_names = {
        words[k].key: identity for first, last, identity in found if last > first for k in (first, last)
    }
    for i, word in enumerate(words):
        if i not in taken and known(word) and word.key in full_names:
            found.append((i, i, full_names[word.key]))
    for first, last, identity in found:
        if last == first and words[first].key in full_names:
            identity = full_names[words[first].key]
        yield Candidate(words[first].start, words[last].end, "person", identity, PERSON_PRIORITY)
