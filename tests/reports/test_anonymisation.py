"""Unit behaviour of the redaction engine: consistency, variants, overlaps, what stays, the reporter."""

from __future__ import annotations

import pytest

from ceptoar.reports.anonymisation import Lexicon, anonymise
from ceptoar.reports.anonymisation.detectors import Candidate
from ceptoar.reports.anonymisation.engine import _letters, resolve_overlaps


@pytest.fixture
def lexicon() -> Lexicon:
    lexicon = Lexicon()
    lexicon.add_organisation(
        "bank-1", "株式会社青葉銀行", domain="bank-1.example.jp", postal_address="〒100-0001 青葉市東町1-2"
    )
    lexicon.add_organisation("water-1", "緑野水道局", domain="water-1.example.jp")
    lexicon.add_organisation("isac", "Telecom-ISAC Japan", domain="isac.example.jp", kind="related_body")
    lexicon.add_organisation(
        "mhlw", "厚生労働省", name_en="Ministry of Health", domain="mhlw.example.jp", kind="ministry"
    )
    lexicon.add_contact("bank-1", "佐藤 健一")
    lexicon.add_contact("water-1", "鈴木 美咲")
    lexicon.add_contact("mhlw", "高橋 学")
    return lexicon


def redacted(text: str, lexicon: Lexicon, reporter: str | None = None) -> str:
    return anonymise(text, lexicon=lexicon, reporter=reporter).text


def test_the_same_organisation_gets_the_same_letter_and_another_the_next(lexicon):
    text = "青葉銀行から緑野水道局へ連絡し、その後株式会社青葉銀行が再度連絡した。"
    assert redacted(text, lexicon) == "A社からB社へ連絡し、その後A社が再度連絡した。"


@pytest.mark.parametrize(
    "written",
    [
        "株式会社青葉銀行",
        "青葉銀行",
        "（株）青葉銀行",
        "(株)青葉銀行",
        "㈱青葉銀行",
        "青葉銀行株式会社",
        "青葉銀行（株）",
    ],
)
def test_organisation_name_variants(lexicon, written):
    result = anonymise(f"報告元：{written}。", lexicon=lexicon)
    assert result.text == "報告元：A社。"
    assert [r.kind for r in result.redactions] == ["organisation"]


def test_english_name_and_case(lexicon):
    assert redacted("TELECOM-ISAC JAPAN の注意喚起", lexicon) == "A社 の注意喚起"


def test_the_reporter_is_always_a_company_even_when_named_second(lexicon):
    text = "緑野水道局と青葉銀行"
    assert redacted(text, lexicon, reporter="bank-1") == "B社とA社"
    assert redacted(text, lexicon) == "A社とB社"


@pytest.mark.parametrize("written", ["佐藤 健一", "佐藤健一", "佐藤　健一"])
def test_contact_names_with_and_without_space(lexicon, written):
    result = anonymise(f"担当は{written}です。", lexicon=lexicon)
    assert result.text == "担当は甲氏です。"
    assert result.redactions[0].kind == "person"


def test_the_same_person_is_the_same_stem_and_a_family_name_alone_joins_the_full_name(lexicon):
    text = "佐藤 健一と山内 俊介が対応し、佐藤課長が山内さんに指示した。鈴木美咲にも連絡した。"
    assert redacted(text, lexicon) == "甲氏と乙氏が対応し、甲課長が乙さんに指示した。丙氏にも連絡した。"


def test_other_personal_names_by_dictionary_and_by_honorific(lexicon):
    text = "保守ベンダーの岡本様と、看護師長の西村恵子が確認した。"
    result = anonymise(text, lexicon=lexicon)
    assert result.text == "保守ベンダーの甲様と、看護師長の乙氏が確認した。"


def test_place_names_and_loanwords_are_not_people(lexicon):
    text = "太田支店のPCがランサムウェアに感染した。総務課長に報告した。"
    assert anonymise(text, lexicon=lexicon).redactions == ()


def test_a_public_body_is_named_by_what_it_is_unless_it_reports(lexicon):
    text = "厚生労働省の高橋 学氏に報告した。厚生労働省から返信があった。"
    assert redacted(text, lexicon) == "〔所管省庁1〕の甲氏に報告した。〔所管省庁1〕から返信があった。"
    assert redacted(text, lexicon, reporter="mhlw") == "A社の甲氏に報告した。A社から返信があった。"


def test_emails_phones_fax_and_addresses_are_numbered_per_kind(lexicon):
    text = (
        "連絡先 sato@bank-1.example.jp 電話 03-5550-1234 FAX ０３－５５５０－９９９９ "
        "再掲 03-5550-1234 住所 〒100-0001 青葉市東町1-2"
    )
    assert redacted(text, lexicon) == (
        "連絡先 〔メールアドレス1〕 電話 〔電話番号1〕 FAX 〔電話番号2〕 再掲 〔電話番号1〕 住所 〔住所1〕"
    )


@pytest.mark.parametrize(
    "number",
    ["(03)5550-1234", "03(5550)1234", "+81-3-5550-1234", "0120-555-123", "09012345678", "+870-77-1234567"],
)
def test_phone_number_forms(lexicon, number):
    result = anonymise(f"電話：{number} まで", lexicon=lexicon)
    assert [(r.kind, r.original) for r in result.redactions] == [("phone", number)]


@pytest.mark.parametrize(
    "text", ["2024-04-01 に発生", "内線215", "受付番号 12345678", "Ver.10.2.3", "約1,200人分"]
)
def test_numbers_that_are_not_phone_numbers(lexicon, text):
    assert anonymise(text, lexicon=lexicon).redactions == ()


@pytest.mark.parametrize(
    ("address", "kept"),
    [
        ("192.168.10.5", False),
        ("10.0.0.0/8", False),
        ("172.20.1.1", False),
        ("100.64.12.0/22", False),
        ("fd12:3456:789a::1", False),
        ("fe80::1", False),
        ("203.0.113.45", True),
        ("198.51.100.7", True),
        ("8.8.8.8", True),
        ("2001:db8::1", True),
    ],
)
def test_private_addresses_go_public_ones_stay(lexicon, address, kept):
    result = anonymise(f"通信元 {address} を確認", lexicon=lexicon)
    assert [r.original for r in result.redactions] == ([] if kept else [address])


def test_urls_and_domains_of_the_member_go_advisories_and_attackers_stay(lexicon):
    text = (
        "当行サイト https://www.bank-1.example.jp/info/ と bank-1.example.jp、"
        "サーバ srv-db01.bank-1.example.jp。参考 https://www.ipa.go.jp/security/ と https://jvn.jp/vu/JVNVU99999999/ "
        "CVE-2024-3400、偽サイト https://login-bank.example.com/ (203.0.113.9)、厚労省 https://www.mhlw.example.jp/"
    )
    result = anonymise(text, lexicon=lexicon)
    assert [(r.kind, r.original) for r in result.redactions] == [
        ("url", "https://www.bank-1.example.jp/info/"),
        ("domain", "bank-1.example.jp"),
        ("hostname", "srv-db01.bank-1.example.jp"),
    ]


def test_a_public_bodys_domain_is_its_own_when_it_reports(lexicon):
    result = anonymise("https://www.mhlw.example.jp/ を更新", lexicon=lexicon, reporter="mhlw")
    assert [r.kind for r in result.redactions] == ["url"]


@pytest.mark.parametrize(
    "host",
    ["srv-db01", "fw01", "web-ap-02", "fw01.corp.local", "pacs.hosp.internal", "nas.lan", "PC-SOUMU-012"],
)
def test_internal_host_names(lexicon, host):
    result = anonymise(f"対象：{host} で検知", lexicon=lexicon)
    assert [(r.kind, r.original) for r in result.redactions] == [("hostname", host)]


@pytest.mark.parametrize(
    "word", ["Windows10", "log4j", "FG-100F", "TLS1.2", "SHA256", "MS17-010", "KB5034441", "COVID-19"]
)
def test_technical_words_that_look_like_hosts_stay(lexicon, word):
    assert anonymise(f"{word} を確認", lexicon=lexicon).redactions == ()


def test_a_host_named_only_by_context(lexicon):
    result = anonymise("ファイルサーバ（FS01）と端末 SRV-DB01", lexicon=lexicon)
    assert [r.original for r in result.redactions] == ["FS01", "SRV-DB01"]


def test_overlaps_the_longest_wins(lexicon):
    # The e-mail contains the domain, the address contains the town that is also a registry name.
    result = anonymise("sato@bank-1.example.jp / 〒100-0001 青葉市東町1-2", lexicon=lexicon)
    assert [r.kind for r in result.redactions] == ["email", "postal_address"]


def test_overlap_resolution_is_deterministic():
    candidates = [
        Candidate(0, 4, "person", "p", 3),
        Candidate(2, 6, "organisation", "o", 6),
        Candidate(0, 6, "hostname", "h", 4),
        Candidate(0, 6, "url", "u", 8),
        Candidate(7, 9, "person", "q", 3),
    ]
    chosen = resolve_overlaps(candidates)
    assert [(c.kind, c.start) for c in chosen] == [("url", 0), ("person", 7)]
    assert resolve_overlaps(list(reversed(candidates))) == chosen


def test_spans_refer_to_the_original_text(lexicon):
    text = "ＦＡＸ：０３－５５５０－９９９９、ｓａｔｏ＠ｂａｎｋ－１．ｅｘａｍｐｌｅ．ｊｐ、佐藤　健一"
    result = anonymise(text, lexicon=lexicon)
    assert [r.kind for r in result.redactions] == ["phone", "email", "person"]
    for redaction in result.redactions:
        assert text[redaction.start : redaction.end] == redaction.original
    rebuilt, position = "", 0
    for redaction in result.redactions:
        rebuilt += text[position : redaction.start] + redaction.replacement
        position = redaction.end
    assert rebuilt + text[position:] == result.text


def test_letters_go_on_after_z():
    assert [_letters(n) for n in (0, 1, 25, 26, 27, 51, 52)] == ["A", "B", "Z", "AA", "AB", "AZ", "BA"]


def test_eleventh_person_gets_a_numbered_stem(lexicon):
    names = ["山内", "西村", "久保田", "大西", "矢野", "岡本", "野口", "坂本", "村田", "菅原", "今井"]
    text = "、".join(f"{name}さん" for name in names)
    assert redacted(text, lexicon).split("、")[-2:] == ["癸さん", "甲2さん"]


def test_the_full_registry_lexicon_is_built_once_and_reused(db):
    """Not timed: one lexicon from the demo registry serves many texts and each call stands alone."""
    lexicon = Lexicon.from_registry()
    assert len(lexicon) > 20_000
    from ceptoar.registry.models import Contact, Organisation

    member = Organisation.objects.get(code="banks-0001")
    contact = Contact.objects.filter(organisation=member, kind="person").first()
    text = (f"{member.name}の{contact.name}です。" + "本日、サーバの障害が発生しました。" * 100)[:2000]
    first = anonymise(text, lexicon=lexicon, reporter="banks-0001")
    for _ in range(20):
        again = anonymise(text, lexicon=lexicon, reporter="banks-0001")
        assert again == first
    assert first.text.startswith("A社の甲氏です。")
    assert len(first.redactions) == 2
