"""Searching stays an indexed query however many documents there are: the number of statements does not
grow with the documents, and each engine starts from its full-text index rather than reading every
document (no timings: the plans and the statement counts are what would change if that broke)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ceptoar.search.services import index_document, matching_ids, ranked, similar
from tests.search.test_services import KIND, index_similarity_corpus

pytestmark = pytest.mark.django_db


def run_every_search() -> dict[str, list[str]]:
    """The statements each search function sends, by function."""
    statements = {}
    for name, search in {
        "matching_ids": lambda: list(matching_ids(KIND, "システム 障害")),
        "single_character": lambda: list(matching_ids(KIND, "停")),
        "ranked": lambda: ranked(KIND, "システム", candidate_ids=range(1, 1000)),
        "similar": lambda: similar(KIND, 1, limit=3),
    }.items():
        with CaptureQueriesContext(connection) as captured:
            search()
        statements[name] = [query["sql"] for query in captured.captured_queries]
    return statements


def test_the_number_of_statements_does_not_grow_with_the_documents():
    index_similarity_corpus()
    few = run_every_search()
    for object_id in range(100, 160):
        index_document(KIND, object_id, f"第{object_id}回 制御システムの障害報告。停電の影響を調査した。")
    many = run_every_search()

    assert {name: len(sql) for name, sql in many.items()} == {name: len(sql) for name, sql in few.items()}
    assert len(many["matching_ids"]) == 1
    assert len(many["ranked"]) == 1


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(row[-1] for row in cursor.fetchall())
        # With a handful of rows every plan is cheap, and PostgreSQL may as well read the unique index. So,
        # inside this test's transaction (rolled back), that index goes and sequential scans are off: if
        # the GIN index can serve the statement PostgreSQL must use it; if it cannot, no plan shows it.
        cursor.execute("ALTER TABLE search_searchdocument DROP CONSTRAINT search_document_unique_object")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("name", ["matching_ids", "single_character", "ranked", "similar"])
def test_each_search_starts_from_the_full_text_index(name):
    index_similarity_corpus()
    # The full-text statement: similar() then reads the few documents it found by their ids.
    [search_statement] = [
        sql for sql in run_every_search()[name] if "search_document_fts" in sql or "search_vector" in sql
    ]

    plan = explain(search_statement)

    if connection.vendor == "sqlite":
        assert "search_document_fts VIRTUAL TABLE INDEX" in plan, plan
        assert "USING INTEGER PRIMARY KEY" in plan, plan
        assert "SCAN search_searchdocument" not in plan and "SCAN d" not in plan, plan
    else:
        assert "Bitmap Index Scan on search_document_vector_gin" in plan, plan
