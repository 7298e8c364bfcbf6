"""Personal names that the registry does not know: the member's colleagues, a vendor's engineer, a nurse.

A Japanese morphological analyser (MeCab through fugashi, with the UniDic-lite dictionary) tags family
and given names (固有名詞・人名). Names it does not know are found by what follows them: an honorific
(さん, 様, 氏, 殿) or a title (部長, 課長, 主任 …) right after a proper noun, or what precedes them
(担当者:, 報告者:). The analyser is required: honorific rules alone found about a quarter of the
other personal names of the test set (docs/anonymisation.md).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from ceptoar.reports.anonymisation.detectors import Candidate
from ceptoar.reports.anonymisation.latin import HONORIFICS_AFTER, find_latin_names
from ceptoar.reports.anonymisation.romaji import name_list

HONORIFICS = ("さん", "様", "さま", "氏", "殿", "くん", "君", "ちゃん")
TITLES = (
    "部長",
    "副部長",
    "本部長",
    "課長",
    "課長補佐",
    "係長",
    "主任",
    "主査",
    "主幹",
    "主事",
    "室長",
    "所長",
    "局長",
    "次長",
    "院長",
    "副院長",
    "センター長",
    "理事長",
    "社長",
    "副社長",
    "専務",
    "常務",
    "取締役",
    "支店長",
    "店長",
    "工場長",
    "場長",
    "駅長",
    "助役",
    "教授",
    "准教授",
    "助教",
    "指令長",
    "技師長",
    "先生",
    "医師",
    "看護師",
    "師長",
    "技師",
    "参事",
    "事務長",
    "管理者",
    "リーダー",
    "マネージャー",
    "マネジャー",
    "顧問",
    "知事",
    "市長",
    "町長",
    "村長",
)
# 副所長, 副センター長 …: a deputy of any of them.
TITLES += tuple(f"副{title}" for title in TITLES if not title.startswith("副"))
# Words after which a name follows: "担当者：山内", "報告者 山内".
NAME_LABELS = ("担当者", "報告者", "連絡者", "記入者", "作成者", "発見者", "対応者", "責任者", "氏名", "担当")
FOLLOWERS = HONORIFICS + TITLES
# A family name is also a place name: 太田支店, 羽田空港, 大野駅 are places, not people.
PLACE_SUFFIXES = (
    "支店",
    "支所",
    "出張所",
    "営業所",
    "事業所",
    "駅",
    "空港",
    "港",
    "線",
    "市",
    "町",
    "村",
    "区",
    "県",
    "郡",
    "工場",
    "病院",
    "医院",
    "浄水場",
    "変電所",
    "発電所",
    "団地",
)
PERSON_PRIORITY = 3
# Words that come before a title and are not names: 前部長 (the former head), 各課長, 副所長, 本部長.
TITLE_MODIFIERS = frozenset("前元全各副新旧現同当本総次代故両諸正主上下大小")


def starts_with_honorific_or_title(text: str) -> bool:
    return text.lstrip(" ").startswith(FOLLOWERS) or HONORIFICS_AFTER.match(text) is not None


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    surface: str
    pos1: str
    pos2: str
    pos3: str
    pos4: str
    unknown: bool

    @property
    def is_person_name(self) -> bool:
        return self.pos2 == "固有名詞" and self.pos3 == "人名"

    @property
    def is_proper_noun(self) -> bool:
        return self.pos2 == "固有名詞" or (self.unknown and not self.surface.isascii())


@functools.cache
def _tagger():
    # Loaded on first use: building the tagger reads the dictionary (about 0.1 s).
    import fugashi

    return fugashi.Tagger()


def tokenise(text: str) -> list[Token]:
    tagger = _tagger()
    tokens: list[Token] = []
    position = 0
    for word in tagger(text):
        start = text.find(word.surface, position)
        if start < 0:
            continue
        end = start + len(word.surface)
        position = end
        feature = word.feature
        tokens.append(
            Token(
                start, end, word.surface, feature.pos1, feature.pos2, feature.pos3, feature.pos4, word.is_unk
            )
        )
    return tokens


def find_persons(text: str) -> list[Candidate]:
    """Person-name candidates in `text` (already width-folded)."""
    tokens = tokenise(text)
    return [*_find_with_analyser(text, tokens), *_find_one_kanji_names(text, tokens), *find_latin_names(text)]


def _candidate(text: str, start: int, end: int) -> Candidate:
    return Candidate(start, end, "person", "person:" + "".join(text[start:end].split()), PERSON_PRIORITY)


def _find_with_analyser(text: str, tokens: list[Token]) -> Iterator[Candidate]:
    first = 0
    while first < len(tokens):
        token = tokens[first]
        if token.surface.isascii() or not (token.is_person_name or token.is_proper_noun):
            first += 1
            continue
        # A family name and a given name, written with or without a space, are one person.
        last = first
        while (
            last + 1 < len(tokens)
            and tokens[last + 1].is_person_name
            and tokens[last + 1].start - tokens[last].end <= 1
        ):
            last += 1
        start, end = token.start, tokens[last].end
        if _is_person(text, tokens, first, last):
            yield _candidate(text, start, end)
        first = last + 1


def _is_person(text: str, tokens: list[Token], first: int, last: int) -> bool:
    name = text[tokens[first].start : tokens[last].end]
    after = text[tokens[last].end :].lstrip(" ")
    if after.startswith(FOLLOWERS):
        return True
    if after.startswith(PLACE_SUFFIXES):
        return False
    if _after_name_label(tokens, first, text):
        return True
    if not tokens[first].is_person_name:
        return False
    # A lone one-character given name ("恵") is too often an ordinary word, and a katakana "name" is as
    # often part of a loanword (ランサム|ウェア): both need an honorific or a title after them.
    katakana = all("ァ" <= char <= "ヶ" or char == "ー" for char in name)
    return len(name) > 1 and not katakana


def _after_name_label(tokens: list[Token], index: int, text: str) -> bool:
    """Whether the token follows "担当者：", "報告者 " and the like (the label, then at most a colon)."""
    if index == 0:
        return False
    previous = index - 1
    if tokens[previous].surface in (":", "：", "は"):
        previous -= 1
    if previous < 0:
        return False
    label_end = tokens[previous].end
    return text[:label_end].endswith(NAME_LABELS)


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\u30a0" <= char <= "\u30ff" or char == "々"


def _find_one_kanji_names(text: str, tokens: list[Token]) -> Iterator[Candidate]:
    """Family names of one kanji (林, 森, 関, 原) before an honorific or a title: the analyser reads many of
    them as ordinary words (林 a wood, 原 a prefix) or splits the title differently (東|主任, 林|係|長).
    Kept only when the kanji is not the end of a longer word (森林課長) and, before さん or 様, when the
    analyser itself reads it as a name (奥さん and 神様 are words)."""
    _, _, one_kanji = name_list()
    person_tokens = {token.start for token in tokens if token.is_person_name and token.end == token.start + 1}
    for position, char in enumerate(text):
        if char not in one_kanji or char in TITLE_MODIFIERS:
            continue
        if position > 0 and _is_cjk(text[position - 1]):
            continue
        after = text[position + 1 :]
        if after.startswith(TITLES) or (after.startswith(HONORIFICS) and position in person_tokens):
            yield _candidate(text, position, position + 1)
