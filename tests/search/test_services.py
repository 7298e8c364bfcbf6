"""Searching and comparing documents on the database the suite runs on (SQLite, or PostgreSQL with
DATABASE_URL): the same expectations hold for both engines."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import translation

from ceptoar.accounts.models import User
from ceptoar.search.models import SearchDocument, SearchTerm
from ceptoar.search.services import (
    index_document,
    index_terms,
    matching_ids,
    ranked,
    remove_document,
    similar,
)
from ceptoar.search.text import MAX_INDEXED_CHARS, EmptyQueryError, normalise, tokens

pytestmark = pytest.mark.django_db

# A kind of its own, so documents that other areas index in the demo population never show up here.
KIND = "search-test"

BLACKOUT = "昨夜、変電所の故障により大規模な停電が発生し、約三万世帯に影響した。"
APART = "変電所の設備を停止した後、電源を切り替えた。"
POWER = "電力会社の制御システムで障害が発生した。"


def found(query: str, kind: str = KIND) -> set[int]:
    return set(matching_ids(kind, query))


def test_a_two_character_word_is_found_in_text_without_spaces():
    index_document(KIND, 1, BLACKOUT)
    index_document(KIND, 2, POWER)
    assert found("停電") == {1}


def test_a_word_is_not_found_when_only_its_characters_occur_apart():
    index_document(KIND, 1, APART)  # 停 and 電 both occur, never side by side
    index_document(KIND, 2, "停電。電対策を取り、対応した。")  # 停電, 電対 and 対応, never 停電対応
    index_document(KIND, 3, "停電対応の手順を見直した。")
    assert found("停電") == {2, 3}
    assert found("停電対応") == {3}


def test_a_single_character_is_found_wherever_it_stands():
    index_document(KIND, 1, BLACKOUT)  # 停電が: 電 inside a run
    index_document(KIND, 2, "計画停電")  # 電 ends the run
    index_document(KIND, 3, "電")  # 電 alone
    index_document(KIND, 4, "ガス漏れ")
    assert found("電") == {1, 2, 3}
    assert found("漏") == {4}


def test_latin_words_and_vulnerability_ids_match_as_whole_words():
    index_document(KIND, 1, "Emotetの感染を確認。CVE-2024-1234を悪用する攻撃。")
    index_document(KIND, 2, "CVE-2024-12345 の修正プログラムを適用。")
    index_document(KIND, 3, "Emotetic という名前の別製品")
    assert found("emotet") == {1}
    assert found("EMOTET") == {1}
    assert found("CVE-2024-1234") == {1}
    assert found("cve-2024-12345") == {2}
    assert found("2024") == {1, 2}
    assert found("emo") == set()


def test_full_width_and_half_width_forms_find_each_other():
    index_document(KIND, 1, "ＶＰＮ装置の脆弱性")
    index_document(KIND, 2, "VPN 接続が切れた")
    index_document(KIND, 3, "ﾃｲﾃﾞﾝ ﾉ ﾎｳｺｸ")
    assert found("VPN") == {1, 2}
    assert found("ｖｐｎ") == {1, 2}
    assert found("テイデン") == {3}
    assert found("VPN装置") == {1}


def test_words_separated_by_spaces_must_all_occur():
    index_document(KIND, 1, "停電によりVPN装置が停止した。")
    index_document(KIND, 2, BLACKOUT)
    index_document(KIND, 3, "VPN 接続が切れた")
    assert found("停電 VPN") == {1}
    assert found("停電\u3000ｖｐｎ") == {1}
    assert found("停電") == {1, 2}


def test_documents_of_another_kind_are_never_returned():
    index_document(KIND, 1, BLACKOUT)
    index_document("search-other", 1, BLACKOUT)
    index_document("search-other", 2, BLACKOUT)
    assert found("停電") == {1}
    assert found("停電", kind="search-other") == {1, 2}


def test_matching_ids_is_a_subquery_that_callers_combine_with_their_own_querysets():
    users = list(User.objects.order_by("pk").values_list("pk", flat=True)[:3])
    for pk in users:
        index_document(KIND, pk, BLACKOUT)
    index_document(KIND, users[-1] + 10_000_000, BLACKOUT)  # no such user
    visible = User.objects.filter(pk__in=users[:2])

    result = visible.filter(pk__in=matching_ids(KIND, "停電"))

    assert set(result.values_list("pk", flat=True)) == set(users[:2])


def test_ranking_puts_the_better_match_first():
    index_document(KIND, 1, "変電所の点検記録。停電の影響はなかった。" + "設備は正常に稼働している。" * 8)
    index_document(KIND, 2, "停電発生。停電範囲の確認中。停電は復旧した。")
    index_document(KIND, 3, POWER)

    hits = ranked(KIND, "停電")

    assert [hit.object_id for hit in hits] == [2, 1]
    assert hits[0].score > hits[1].score


def test_ranked_honours_limit_offset_and_phrases():
    for object_id in range(1, 6):
        index_document(KIND, object_id, "停電対応" + "。" * object_id + "停電" * object_id)
    index_document(KIND, 6, "停電。電対策を取り、対応した。")

    everything = ranked(KIND, "停電対応")
    page = ranked(KIND, "停電対応", limit=2, offset=1)

    assert {hit.object_id for hit in everything} == {1, 2, 3, 4, 5}
    assert page == everything[1:3]


NEAR_ORIGINAL = (
    "某日未明、ガス供給会社の遠隔監視システムにおいて、外部からの不正アクセスにより制御端末の一部が"
    "ランサムウェアに感染した。監視画面が閲覧できなくなったため、保安要員を各整圧器に派遣し、"
    "手動による監視に切り替えた。供給への影響はなかった。"
)
NEAR_COPY = NEAR_ORIGINAL.replace("某日未明", "翌週深夜").replace("保安要員", "当番の保安要員")
UNRELATED = (
    "水道事業者の料金システムにおいて、月次バッチ処理の設定誤りにより請求書の発行が遅延した。"
    "システムの設定を修正し、翌日に再処理した。利用者への影響はなかった。"
)
FILLERS = [
    "鉄道会社の運行管理システムで機器故障が発生し、列車の運行に遅れが出た。",
    "銀行の勘定系システムで夜間処理が停止し、翌朝の開店に影響した。",
    "自治体の住民情報システムで職員の操作誤りにより一部データが消去された。",
]


def index_similarity_corpus() -> None:
    index_document(KIND, 1, NEAR_ORIGINAL)
    index_document(KIND, 2, NEAR_COPY)
    index_document(KIND, 3, UNRELATED)
    for object_id, text in enumerate(FILLERS, start=4):
        index_document(KIND, object_id, text)


def test_similar_puts_the_near_duplicate_above_unrelated_documents_and_leaves_out_the_document_itself():
    index_similarity_corpus()

    hits = similar(KIND, 1)

    ids = [hit.object_id for hit in hits]
    assert ids[0] == 2
    assert 1 not in ids
    scores = {hit.object_id: hit.score for hit in hits}
    # The cosine counts the words each holds alone too (某日未明 / 翌週深夜): high, not 1.
    assert scores[2] > 0.8
    assert all(scores[other] < 0.5 * scores[2] for other in ids[1:])
    assert all(0 < hit.score <= 1.000001 for hit in hits)


def test_similar_scores_are_symmetric_and_a_minimum_leaves_out_weak_ones():
    index_similarity_corpus()

    one_way = {hit.object_id: hit.score for hit in similar(KIND, 1, limit=10)}
    other_way = {hit.object_id: hit.score for hit in similar(KIND, 2, limit=10)}

    assert one_way[2] == pytest.approx(other_way[1])
    assert [hit.object_id for hit in similar(KIND, 1, limit=10, min_score=0.5)] == [2]
    assert similar(KIND, 1, min_score=1.0) == []
    with pytest.raises(ValueError, match="min_score=1.5"):
        similar(KIND, 1, min_score=1.5)


def test_similar_of_a_document_that_is_not_indexed_is_empty():
    index_similarity_corpus()
    assert similar(KIND, 999) == []


def test_candidate_ids_are_honoured_so_search_never_widens_visibility():
    index_similarity_corpus()
    index_document(KIND, 8, "停電発生。停電範囲の確認中。停電は復旧した。")
    index_document(KIND, 9, "停電の影響はなかった。")

    assert [hit.object_id for hit in ranked(KIND, "停電", candidate_ids=[9])] == [9]
    assert ranked(KIND, "停電", candidate_ids=[]) == []
    assert ranked(KIND, "停電", candidate_ids=SearchDocument.objects.none()) == []
    without_copy = SearchDocument.objects.filter(kind=KIND).exclude(object_id=2).values("object_id")
    assert 2 not in [hit.object_id for hit in similar(KIND, 1, candidate_ids=without_copy)]
    assert similar(KIND, 1, candidate_ids=[3, 4]) and all(
        hit.object_id in {3, 4} for hit in similar(KIND, 1, candidate_ids=[3, 4])
    )


def test_a_queryset_of_model_instances_stands_for_their_primary_keys():
    first, second = User.objects.order_by("pk").values_list("pk", flat=True)[:2]
    index_document(KIND, first, "停電の影響はなかった。")
    index_document(KIND, second, "停電発生。停電範囲の確認中。停電は復旧した。")

    hits = ranked(KIND, "停電", candidate_ids=User.objects.filter(pk=first))

    assert [hit.object_id for hit in hits] == [first]


def test_indexing_again_replaces_the_old_text():
    index_document(KIND, 1, {"title": "停電", "body": "変電所の故障"})
    index_document(KIND, 1, {"title": "漏洩", "body": "ガス漏れの通報"})

    assert found("停電") == set()
    assert found("漏洩") == {1}
    assert SearchDocument.objects.filter(kind=KIND).count() == 1


def test_parts_are_joined_so_that_no_word_spans_two_of_them():
    index_document(KIND, 1, {"title": "計画停", "body": "電の予定"})
    assert found("停電") == set()
    assert found("計画停 電の予定") == {1}


def test_removing_a_document_takes_it_out_of_every_search():
    index_document(KIND, 1, BLACKOUT)
    index_document(KIND, 2, BLACKOUT)

    assert remove_document(KIND, 1) is True
    assert remove_document(KIND, 1) is False
    assert found("停電") == {2}
    assert [hit.object_id for hit in similar(KIND, 2)] == []


def test_document_frequencies_follow_every_change():
    index_document(KIND, 1, BLACKOUT)
    index_document(KIND, 2, POWER)
    index_document(KIND, 2, APART)
    index_document(KIND, 3, "停電")
    remove_document(KIND, 3)

    expected: dict[str, int] = {}
    for text in (BLACKOUT, APART):
        for token in set(tokens(normalise(text))):
            expected[token] = expected.get(token, 0) + 1
    stored = dict(SearchTerm.objects.filter(kind=KIND).values_list("term", "document_count"))
    assert stored == expected


@pytest.mark.parametrize("query", ["", "  ", "！？"])
def test_a_query_with_nothing_to_search_for_is_a_value_error(query):
    index_document(KIND, 1, BLACKOUT)
    with translation.override("en"), pytest.raises(ValueError, match="Enter at least one"):
        matching_ids(KIND, query)
    with pytest.raises(ValueError, match="1文字以上入力してください"):  # Japanese, the default language
        matching_ids(KIND, query)
    with pytest.raises(EmptyQueryError):
        ranked(KIND, query)


def test_a_bad_kind_or_limit_is_refused():
    with pytest.raises(ValueError, match="kind"):
        index_document("", 1, BLACKOUT)
    with pytest.raises(ValueError, match="limit"):
        ranked(KIND, "停電", limit=0)


def test_wildcard_characters_in_a_query_are_taken_literally():
    index_document(KIND, 1, "進捗率100%で完了")
    index_document(KIND, 2, "試行100回で完了")  # an unescaped % would match this
    assert found("100%で") == {1}
    assert [hit.object_id for hit in ranked(KIND, "100%で")] == [1]


def test_text_past_the_indexed_length_is_not_searchable():
    index_document(KIND, 1, "停電" + "あ" * MAX_INDEXED_CHARS + "漏洩")
    assert found("停電") == {1}
    assert found("漏洩") == set()


def test_indexing_rolled_back_with_its_transaction_leaves_nothing_behind():
    index_document(KIND, 1, BLACKOUT)
    with pytest.raises(RuntimeError), transaction.atomic():
        index_document(KIND, 1, POWER)
        index_document(KIND, 2, POWER)
        raise RuntimeError("the caller's save failed")

    assert found("停電") == {1}
    assert found("電力") == set()
    assert not SearchTerm.objects.filter(kind=KIND, term="電力").exists()


def test_a_document_of_chosen_terms_is_compared_like_any_other():
    index_terms(KIND, 1, ["地震", "回線", "監視", "eventunavailability"])
    index_terms(KIND, 2, ["地震", "停電", "監視", "eventunavailability"])
    index_terms(KIND, 3, ["ランサムウェア", "暗号", "eventmalware"])

    assert [hit.object_id for hit in similar(KIND, 1, limit=5)] == [2]
    assert SearchDocument.objects.get(kind=KIND, object_id=2).tokens == "地震 停電 監視 eventunavailability"


def test_a_term_that_is_not_one_index_token_is_refused_by_position():
    with pytest.raises(ValueError, match=r"terms\[1\]='intentional.dos' of search-test:7"):
        index_terms(KIND, 7, ["地震", "intentional.dos"])
    assert not SearchDocument.objects.filter(kind=KIND, object_id=7).exists()
