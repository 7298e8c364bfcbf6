"""Tokenising: bigrams for kanji and kana, whole words for the rest, one normal form for both widths."""

from __future__ import annotations

import pytest
from django.utils import translation

from ceptoar.search.text import (
    EmptyQueryError,
    content_words,
    is_index_term,
    is_searchable,
    normalise,
    parse_query,
    tokens,
)


def test_kanji_and_kana_become_bigrams_plus_the_last_character():
    assert tokens(normalise("停電が発生")) == ["停電", "電が", "が発", "発生", "生"]


def test_latin_and_digits_become_words_split_at_punctuation():
    assert tokens(normalise("Emotet: CVE-2024-1234 / VPN装置")) == [
        "emotet",
        "cve",
        "2024",
        "1234",
        "vpn",
        "装置",
        "置",
    ]


def test_full_width_latin_and_half_width_kana_fold_to_one_form():
    assert normalise("ＶＰＮ ﾃｲﾃﾞﾝ") == "vpn テイデン"


def test_voiced_kana_stay_distinct_from_unvoiced():
    assert tokens(normalise("ガス")) != tokens(normalise("カス"))


def test_a_query_word_needs_its_phrase_only_when_its_tokens_could_be_scattered():
    (two_kanji,) = parse_query("停電").terms
    assert (two_kanji.exact, two_kanji.prefixes, two_kanji.phrase) == (("停電",), (), None)
    (longer,) = parse_query("停電対応。").terms
    assert (longer.exact, longer.phrase) == (("停電", "電対", "対応"), "停電対応")
    (single,) = parse_query("電").terms
    assert (single.exact, single.prefixes) == ((), ("電",))


def test_half_and_full_width_spaces_separate_query_words():
    assert len(parse_query("停電 VPN").terms) == 2
    assert len(parse_query("停電\u3000VPN").terms) == 2


@pytest.mark.parametrize("query", ["", "   ", "\u3000", "！？。", "・・・", "--"])
def test_a_query_without_letters_digits_or_kanji_is_refused(query):
    with translation.override("en"), pytest.raises(EmptyQueryError, match="Enter at least one"):
        parse_query(query)
    assert not is_searchable(query)
    assert isinstance(EmptyQueryError(query), ValueError)


def test_content_words_are_the_nouns_and_verbs_in_dictionary_form_without_grammar_or_numbers():
    words = content_words("退職者のＶＰＮアカウントで不正ログインされ、サーバーとサーバが約2万件閲覧された。")

    assert {"退職", "vpn", "アカウント", "不正", "閲覧"} <= set(words)
    # サーバ and サーバー are one word; する, された's grammar, punctuation and numbers are not words.
    assert words.count("サーバー") == 2
    assert not {"する", "れる", "た", "2", "万", "、"} & set(words)
    assert all(is_index_term(word) for word in words)


def test_an_index_term_is_letters_and_digits_only():
    assert is_index_term("ログイン") and is_index_term("eventintrusion")
    assert not is_index_term("intentional.dos") and not is_index_term("") and not is_index_term("a" * 101)
