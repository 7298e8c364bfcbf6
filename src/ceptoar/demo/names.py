"""Synthetic, deterministic names, addresses and numbers for the demo population (example.jp style)."""

from __future__ import annotations

import itertools
import random

_FIRST = "青緑桜松梅竹川山森浜丘泉星空海風光若朝夕東西南北中新本大小高"
_SECOND = "葉野原見沢島崎台田里瀬浦宮谷岡木井尾津平"
PLACES = [a + b for a, b in itertools.product(_FIRST, _SECOND)]  # 600 fictional place names

SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
    "山崎",
    "森",
    "池田",
    "橋本",
    "阿部",
    "石川",
    "山下",
    "中島",
    "石井",
    "小川",
    "前田",
    "岡田",
    "長谷川",
    "藤田",
    "後藤",
    "近藤",
    "村上",
    "遠藤",
]
GIVEN_NAMES = [
    "翔太",
    "健一",
    "大輔",
    "直樹",
    "美咲",
    "陽子",
    "恵",
    "誠",
    "浩二",
    "由美",
    "拓也",
    "真理",
    "聡",
    "明美",
    "和也",
    "智子",
    "亮",
    "彩",
    "修",
    "裕子",
    "隆",
    "奈々",
    "剛",
    "香織",
    "学",
    "理恵",
]
ROMAN_SURNAMES = [
    "sato",
    "suzuki",
    "takahashi",
    "tanaka",
    "ito",
    "watanabe",
    "yamamoto",
    "nakamura",
    "kobayashi",
    "kato",
    "yoshida",
    "yamada",
]


class NameBook:
    """Hands out unique names; every draw comes from one seeded generator, so runs repeat exactly."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._places = list(PLACES)
        self.rng.shuffle(self._places)
        self._taken: set[str] = set()

    def organisation(self, word: str, company: bool) -> str:
        for place in itertools.chain(self._places, (p + "第二" for p in self._places)):
            name = f"{place}{word}"
            if company and not word.endswith(("協会", "組合", "金庫", "局", "庁", "会")):
                name = f"株式会社{name}"
            if name not in self._taken:
                self._taken.add(name)
                return name
        raise RuntimeError(f"ran out of synthetic names for {word}")

    def person(self) -> str:
        return f"{self.rng.choice(SURNAMES)} {self.rng.choice(GIVEN_NAMES)}"

    def email_local(self, index: int) -> str:
        return f"{self.rng.choice(ROMAN_SURNAMES)}.{index}"

    def phone(self) -> str:
        area = self.rng.choice(["03", "06", "011", "022", "045", "052", "082", "092"])
        return f"{area}-5550-{self.rng.randint(0, 9999):04d}"

    def mobile(self) -> str:
        return f"090-5550-{self.rng.randint(0, 9999):04d}"

    def satellite_phone(self) -> str:
        return f"+870-77-{self.rng.randint(1000000, 9999999)}"

    def address(self) -> str:
        place = self.rng.choice(self._places)
        return f"〒100-{self.rng.randint(0, 9999):04d} {place}市{self.rng.choice(_FIRST)}町{self.rng.randint(1, 9)}-{self.rng.randint(1, 30)}"
