"""Redaction of what texts written outside the project contain (issue 16): names in Latin letters, family
names of one kanji, a registry body named without its legal form or department, hosts under Japanese
organisations' domains the registry does not know, and documentation domains that stay."""

from __future__ import annotations

import json

import pytest

from ceptoar.reports.anonymisation import Lexicon, anonymise
from ceptoar.reports.anonymisation.detectors import is_documentation_domain, japanese_organisation_domain
from ceptoar.reports.anonymisation.lexicon import organisation_variants, parent_names
from ceptoar.reports.anonymisation.romaji import NAME_LIST, hepburn, name_list, spellings


@pytest.fixture
def lexicon() -> Lexicon:
    lexicon = Lexicon()
    lexicon.add_organisation("jga", "社団法人日本ガス協会 保安技術グループ", domain="jga.example.jp")
    lexicon.add_organisation("zengin", "全国銀行協会事務システム部", domain="zengin.example.jp")
    lexicon.add_organisation("mlit", "国土交通省", domain="mlit.example.jp", kind="ministry")
    lexicon.add_organisation("mlit-rail", "国土交通省鉄道局危機管理室", domain="rail.example.jp")
    lexicon.add_organisation(
        "nisc", "内閣官房情報セキュリティセンター (NISC)", domain="nisc.example.jp", kind="hub"
    )
    lexicon.add_organisation("gas-1", "株式会社竹見ガス", domain="gas-1.example.jp")
    lexicon.add_contact("gas-1", "橋本 彩")
    return lexicon


def redactions(text: str, lexicon: Lexicon, reporter: str | None = None) -> list[tuple[str, str]]:
    return [(r.kind, r.original) for r in anonymise(text, lexicon=lexicon, reporter=reporter).redactions]


# -- romanised names -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        ("サトウ", {"sato", "satou", "satoh", "satoo"}),
        ("オオノ", {"ono", "oono", "ohno", "ouno"}),
        ("ホンマ", {"honma", "homma"}),
        ("ユウコ", {"yuko", "yuuko"}),
        ("ハットリ", {"hattori"}),
        ("ジュンイチ", {"junichi"}),
        ("きょうこ", {"kyoko", "kyouko", "kyohko", "kyooko"}),
    ],
)
def test_a_reading_gives_the_spellings_people_use(reading, expected):
    assert spellings(reading) == expected


def test_a_reading_with_other_characters_gives_nothing():
    assert hepburn("タナカ1") is None
    assert spellings("A") == set()


def test_the_name_list_holds_family_and_given_names_from_the_dictionary():
    family, given, one_kanji = name_list()
    assert {"tanaka", "watanabe", "sato", "satoh", "ito", "itoh"} <= family
    assert {"hiroshi", "kenji", "yuko", "takeshi"} <= given
    assert {"林", "森", "関", "原", "堀", "辻"} <= one_kanji
    assert "server" not in family | given
    data = json.loads(NAME_LIST.read_text(encoding="utf-8"))
    assert data["family"] == sorted(data["family"])
    assert len(data["family"]) > 10_000 and len(data["given"]) > 10_000


# -- names in Latin letters -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "written",
    [
        "TANAKA Hiroshi",
        "Hiroshi Tanaka",
        "Hiroshi TANAKA",
        "Tanaka Hiroshi",
        "TANAKA, Hiroshi",
        "Hiroshi Tanaka",
    ],
)
def test_a_japanese_name_in_latin_letters_in_either_order(lexicon, written):
    assert redactions(f"Reported by {written} at 03:12.", lexicon) == [("person", written)]


def test_both_orders_and_a_part_alone_are_one_person(lexicon):
    result = anonymise(
        "TANAKA Hiroshi opened the ticket. Hiroshi Tanaka closed it; Tanaka wrote the report.",
        lexicon=lexicon,
    )
    assert result.text == "甲氏 opened the ticket. 甲氏 closed it; 甲氏 wrote the report."


@pytest.mark.parametrize(
    ("text", "name", "sanitised"),
    [
        ("Mr. Sato called.", "Sato", "Mr. 甲 called."),
        ("Dr. Yamada (Radiology) reported it.", "Yamada", "Dr. 甲 (Radiology) reported it."),
        ("Mr. Brown joined the call.", "Brown", "Mr. 甲 joined the call."),
        ("Ms. Yuko Ito confirmed.", "Yuko Ito", "Ms. 甲 confirmed."),
        ("保守業者のSato-sanと打合せ", "Sato", "保守業者の甲-sanと打合せ"),
        ("Satoさんに連絡", "Sato", "甲さんに連絡"),
        ("please call @OGAWA now", "OGAWA", "please call @甲氏 now"),
    ],
)
def test_a_title_an_honorific_or_a_mention_makes_a_name(lexicon, text, name, sanitised):
    result = anonymise(text, lexicon=lexicon)
    assert [(r.kind, r.original) for r in result.redactions] == [("person", name)]
    assert result.text == sanitised


@pytest.mark.parametrize(
    "text",
    [
        "Date: Mon, 2 Dec 2024",
        "The Main Server and the Ken Board stayed up.",
        "See KB5034441 and Windows Server 2019 on ws-tanaka01.",
        "Ivanti Connect Secure (CVE-2024-21887) was patched.",
        "Mori alone is a word as often as a name.",
        "mail from tanaka.hiroshi@example.com",
    ],
)
def test_capitalised_words_that_are_not_names_stay(lexicon, text):
    assert "person" not in [kind for kind, _ in redactions(text, lexicon)]


# -- family names of one kanji --------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["林さん", "森課長", "関氏", "原部長", "東主任", "堀准教授", "辻副所長"])
def test_a_one_kanji_family_name_before_an_honorific_or_title(lexicon, written):
    assert redactions(f"夜間当番の{written}が確認した。", lexicon) == [("person", written[0])]


@pytest.mark.parametrize(
    "text", ["前部長が確認した。", "各課長に連絡。", "本部長の指示。", "奥さんから電話。", "森林課長が確認。"]
)
def test_words_before_a_title_that_are_not_names_stay(lexicon, text):
    assert redactions(text, lexicon) == []


# -- organisations without their legal form or department ----------------------------------------------------
def test_parent_bodies_and_recorded_short_names():
    assert parent_names("社団法人日本ガス協会 保安技術グループ") == {"社団法人日本ガス協会"}
    assert parent_names("全国銀行協会事務システム部") == {"全国銀行協会"}
    assert parent_names("国土交通省鉄道局危機管理室") == {"国土交通省", "国土交通省鉄道局"}
    assert parent_names("内閣官房情報セキュリティセンター (NISC)") == {
        "内閣官房情報セキュリティセンター",
        "NISC",
    }
    assert parent_names("株式会社竹見ガス") == set()


def test_legal_forms_of_the_same_family_are_variants():
    variants = organisation_variants("社団法人日本ガス協会")
    assert {
        "日本ガス協会",
        "一般社団法人日本ガス協会",
        "公益社団法人日本ガス協会",
        "(一社)日本ガス協会",
    } <= variants
    assert "株式会社日本ガス協会" not in variants
    assert {"竹見ガス", "竹見ガス株式会社", "㈱竹見ガス"} <= organisation_variants("株式会社竹見ガス")


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("日本ガス協会", "jga"),
        ("一般社団法人日本ガス協会", "jga"),
        ("（一社）日本ガス協会", "jga"),
        ("日本ガス協会 保安技術グループ", "jga"),
        ("全国銀行協会", "zengin"),
        ("国土交通省鉄道局", "mlit-rail"),
        ("国土交通省", "mlit"),
        ("NISC", "nisc"),
    ],
)
def test_a_body_named_without_its_legal_form_or_department(lexicon, written, code):
    result = anonymise(f"{written}へ報告した。", lexicon=lexicon, reporter=code)
    assert [(r.kind, r.original, r.replacement) for r in result.redactions] == [
        ("organisation", written, "A社")
    ]


def test_a_derived_name_never_takes_over_a_registered_one():
    lexicon = Lexicon()
    # The department first: its parent 国土交通省 must still be the ministry once the ministry is added.
    lexicon.add_organisation("mlit-rail", "国土交通省鉄道局危機管理室")
    lexicon.add_organisation("mlit", "国土交通省", kind="ministry")
    result = anonymise("国土交通省へ報告", lexicon=lexicon, reporter="mlit")
    assert result.text == "A社へ報告"


# -- hosts and domains ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "www.example.net",
        "cdn.example.org",
        "phish.example",
        "x.test",
        "example.co.jp",
        "a.example.lg.jp",
    ],
)
def test_documentation_domains(host):
    assert is_documentation_domain(host)


@pytest.mark.parametrize(
    "host", ["example-bank.co.jp", "myexample.com", "example.com.evil.net", "examples.jp"]
)
def test_names_that_merely_contain_example_are_not_documentation(host):
    assert not is_documentation_domain(host)


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("portal.example-bank.co.jp", "example-bank.co.jp"),
        ("mail.city.kawata.lg.jp", "city.kawata.lg.jp"),
        ("fs02.hosp.example-med.ac.jp", "example-med.ac.jp"),
        ("relay01.soumu-lgwan.go.jp", "soumu-lgwan.go.jp"),
        ("www.city.kawata.saitama.jp", "city.kawata.saitama.jp"),
        ("www.soumu.go.jp", None),
        ("ipa.go.jp", None),
        ("www.jpcert.or.jp", None),
        ("www.cisa.gov", None),
        ("evil-update.com", None),
    ],
)
def test_hosts_under_a_japanese_organisations_domain(host, domain):
    assert japanese_organisation_domain(host) == domain


def test_hosts_urls_and_domains_of_organisations_outside_the_registry(lexicon):
    text = (
        "VPN https://vpn.example-bank.co.jp/remote/ と mail.city.kawata.lg.jp を停止。ドメイン example-bank.co.jp。"
        "攻撃元 https://update.example.com/gate.php、参考 https://www.jpcert.or.jp/at/2024/ と https://www.soumu.go.jp/。"
    )
    assert redactions(text, lexicon) == [
        ("url", "https://vpn.example-bank.co.jp/remote/"),
        ("hostname", "mail.city.kawata.lg.jp"),
        ("domain", "example-bank.co.jp"),
    ]


def test_the_domain_of_a_contacts_address_is_the_organisations():
    lexicon = Lexicon()
    lexicon.add_organisation("gas-1", "株式会社竹見ガス", domain="gas-1.example.jp")
    lexicon.add_organisation("gas-2", "株式会社光木ガス", domain="gas-2.example.jp")
    lexicon.add_channel_domains(
        [
            ("gas-1", "a@takemi-gas.com"),
            ("gas-1", "b@freemail.example.net"),
            ("gas-2", "c@freemail.example.net"),
        ]
    )
    assert lexicon.domain_owner("vpn.takemi-gas.com") == ("gas-1", "takemi-gas.com")
    assert lexicon.domain_owner("freemail.example.net") is None
    assert redactions("ログイン画面 https://vpn.takemi-gas.com/ が停止", lexicon)[0][0] == "url"


def test_a_chat_channel_is_not_a_host(lexicon):
    assert redactions("[#incident-20241118] のログ", lexicon) == []
