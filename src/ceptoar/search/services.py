"""Indexing and searching any kind of object's text (全文検索).

Documents are named by (kind, object_id), e.g. ("case", 42). Search never decides who may see what: every
function returns object ids, and callers restrict them with their own visibility querysets, either by
filtering (`Case.objects.filter(policy_q, pk__in=matching_ids("case", q))`) or by passing
`candidate_ids` to ranked() and similar(), which then never return an id outside that set.

Each query is one indexed statement on SQLite (FTS5) and PostgreSQL (tsvector + GIN); see docs/search.md.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BooleanField, Expression, F, QuerySet

from ceptoar.search.models import SearchDocument, SearchTerm
from ceptoar.search.text import (
    MAX_INDEXED_CHARS,
    ParsedQuery,
    is_index_term,
    join_parts,
    normalise,
    parse_query,
    tokens,
)

# similar() compares documents on up to this many of the source's most distinctive tokens (highest TF-IDF):
# enough that documents sharing only part of the subject (not just near-copies) still score.
SIMILARITY_TERMS = 100
# Tokens in more than this share of a kind's documents (and in more than STOP_TERM_MIN_DOCUMENTS) say little
# about a subject (した, システム) but would make nearly every document a candidate: similar() ignores them.
STOP_TERM_SHARE = 0.1
STOP_TERM_MIN_DOCUMENTS = 50
# Terms per statement when counting document frequencies: far below SQLite's variable limit.
_TERM_CHUNK = 300
# similar() scores, by the cosine of the two documents' whole TF-IDF vectors, this many of the documents
# that hold the most of the source's distinctive weight (the one indexed statement finds them): enough that
# the few shown are the best by the fuller measure, few enough that their tokens are read in one statement.
SIMILARITY_POOL = 50

CandidateIds = QuerySet | Iterable[int] | None


@dataclass(frozen=True)
class SearchHit:
    object_id: int
    score: float


def _check_kind(kind: str) -> None:
    max_length = SearchDocument._meta.get_field("kind").max_length
    if not kind or len(kind) > max_length:
        raise ValueError(f"kind={kind!r} must be a non-empty string of at most {max_length} characters.")


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit={limit} must be at least 1.")


# ---------------------------------------------------------------- indexing


def index_document(kind: str, object_id: int, text_parts: Mapping[str, str] | str) -> None:
    """Store (or replace) the searchable text of one object. Call it in the transaction that saves the
    object, so the index never shows text that was rolled back. `text_parts` may be one string or named
    parts (title, body, ...); parts are joined so that no word spans two of them. Text past the first
    MAX_INDEXED_CHARS characters (after normalising) is not indexed."""
    _check_kind(kind)
    normalised = normalise(join_parts(text_parts))[:MAX_INDEXED_CHARS]
    _store(kind, object_id, normalised, tokens(normalised))


def index_terms(kind: str, object_id: int, terms: Iterable[str]) -> None:
    """Store (or replace) an object's document made of terms chosen by the caller instead of text: content
    words (`text.content_words`), or codes such as a category. Each term becomes one index token as it is,
    so it must be letters and digits only (`text.is_index_term`); ValueError names the first that is not.
    Searched and compared as any document (`similar`), under its own kind."""
    _check_kind(kind)
    term_list = list(terms)
    for position, term in enumerate(term_list):
        if not is_index_term(term):
            raise ValueError(
                f"terms[{position}]={term!r} of {kind}:{object_id} is not an index term (letters and digits, "
                "at most 100 characters)."
            )
    _store(kind, object_id, " ".join(term_list), term_list)


def _store(kind: str, object_id: int, normalised: str, token_list: list[str]) -> None:
    token_text = " ".join(token_list)
    with transaction.atomic():
        document = SearchDocument.objects.select_for_update().filter(kind=kind, object_id=object_id).first()
        if document is None:
            SearchDocument.objects.create(
                kind=kind, object_id=object_id, normalised_text=normalised, tokens=token_text
            )
            old_terms: set[str] = set()
        elif document.normalised_text == normalised and document.tokens == token_text:
            return
        else:
            old_terms = set(document.tokens.split())
            document.normalised_text = normalised
            document.tokens = token_text
            document.save(update_fields=["normalised_text", "tokens", "updated_at"])
        new_terms = set(token_list)
        _update_document_counts(kind, added=new_terms - old_terms, removed=old_terms - new_terms)


def remove_document(kind: str, object_id: int) -> bool:
    """Forget an object's text; False when it was not indexed."""
    _check_kind(kind)
    with transaction.atomic():
        document = SearchDocument.objects.select_for_update().filter(kind=kind, object_id=object_id).first()
        if document is None:
            return False
        _update_document_counts(kind, added=set(), removed=set(document.tokens.split()))
        document.delete()
    return True


def _chunks(terms: Iterable) -> Iterable[list]:
    ordered = sorted(terms)
    for start in range(0, len(ordered), _TERM_CHUNK):
        yield ordered[start : start + _TERM_CHUNK]


def _update_document_counts(kind: str, added: set[str], removed: set[str]) -> None:
    """One upsert over the changed terms in sorted order, so that two single-document saves lock SearchTerm
    rows in the same order and cannot deadlock. The inserted count is 1 for an added term and 0 for a
    removed one (a CHECK constraint forbids inserting -1, even when the row exists); the update adds or
    subtracts one accordingly. Rows that reach 0 are deleted."""
    table = connection.ops.quote_name(SearchTerm._meta.db_table)
    changes = [(term, 1) for term in added] + [(term, 0) for term in removed]
    with connection.cursor() as cursor:
        for chunk in _chunks(changes):
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (kind, term, document_count) VALUES {values} "  # noqa: S608
                f"ON CONFLICT (kind, term) DO UPDATE SET document_count = {table}.document_count "
                "+ CASE WHEN excluded.document_count = 1 THEN 1 ELSE -1 END",
                [value for term, count in chunk for value in (kind, term, count)],
            )
    for chunk in _chunks(removed):
        SearchTerm.objects.filter(kind=kind, term__in=chunk, document_count=0).delete()


# ---------------------------------------------------------------- each engine's query syntax and SQL
# SQL below is assembled from this module's constant fragments and from Django's compiler (candidates);
# every value, including each engine query, is passed as a parameter.


class _Fts5:
    """SQLite FTS5. bm25() is lower for better matches, so it is negated: higher is better on both."""

    matching_documents = (
        "FROM search_document_fts JOIN search_searchdocument d ON d.id = search_document_fts.rowid "
        "WHERE search_document_fts MATCH %s"
    )
    relevance = "-bm25(search_document_fts)"
    # SQLite runs an uncorrelated IN (...) once and keeps its rowids: one index lookup per statement.
    row_matches = "{d}.id IN (SELECT rowid FROM search_document_fts WHERE search_document_fts MATCH %s)"
    weight = "%s"
    # One parameter, a JSON array, however many terms: the statement count never depends on the text.
    term_in_list = "term IN (SELECT value FROM json_each(%s))"

    @staticmethod
    def term_list(terms: list[str]) -> str:
        return json.dumps(terms, ensure_ascii=False)

    @staticmethod
    def relevance_params(engine_query: str) -> list:
        return []

    @staticmethod
    def quote(token: str) -> str:
        return '"' + token.replace('"', '""') + '"'

    @classmethod
    def query(cls, exact: Iterable[str], prefixes: Iterable[str] = (), operator: str = "AND") -> str:
        items = [cls.quote(t) for t in exact] + [cls.quote(t) + "*" for t in prefixes]
        return f" {operator} ".join(items)

    @classmethod
    def any_of(cls, terms: Iterable[str]) -> str:
        return cls.query(terms, operator="OR")


class _TsQuery:
    """PostgreSQL tsvector/tsquery. The tsquery is parsed with ::tsquery, not to_tsquery(), so that
    PostgreSQL's own parser never re-splits a token."""

    matching_documents = "FROM search_searchdocument d WHERE d.search_vector @@ %s::tsquery"
    # Normalisation 1 divides by 1 + log(document length), as BM25 favours the shorter of two matches.
    relevance = "ts_rank(d.search_vector, %s::tsquery, 1)"
    row_matches = "{d}.search_vector @@ %s::tsquery"
    weight = "%s::float8"
    term_in_list = "term = ANY(%s)"

    @staticmethod
    def term_list(terms: list[str]) -> list[str]:
        return terms

    @staticmethod
    def relevance_params(engine_query: str) -> list:
        return [engine_query]

    @staticmethod
    def quote(token: str) -> str:
        return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"

    @classmethod
    def query(cls, exact: Iterable[str], prefixes: Iterable[str] = (), operator: str = "&") -> str:
        items = [cls.quote(t) for t in exact] + [cls.quote(t) + ":*" for t in prefixes]
        return f" {operator} ".join(items)

    @classmethod
    def any_of(cls, terms: Iterable[str]) -> str:
        return cls.query(terms, operator="|")


def _engine() -> type[_Fts5] | type[_TsQuery]:
    if connection.vendor == "postgresql":
        return _TsQuery
    if connection.vendor == "sqlite":
        return _Fts5
    raise NotImplementedError(f"Full-text search supports SQLite and PostgreSQL, not {connection.vendor}.")


def _engine_query(plan: ParsedQuery) -> str:
    return _engine().query(plan.exact_tokens, plan.prefix_tokens)


def _like_pattern(phrase: str) -> str:
    escaped = phrase.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class _TokensMatch(Expression):
    """ORM condition: the document's tokens match an engine query. It compiles to the engine's
    row_matches fragment with the alias Django gave the document table (it differs inside subqueries)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, engine_query: str, document_id: Expression | None = None) -> None:
        super().__init__()
        self.engine_query = engine_query
        self.document_id = document_id if document_id is not None else F("id")

    def get_source_expressions(self) -> list:
        return [self.document_id]

    def set_source_expressions(self, expressions: list) -> None:
        (self.document_id,) = expressions

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(self.document_id.alias)
        return _engine().row_matches.format(d=alias), [self.engine_query]


# ---------------------------------------------------------------- searching


def matching_ids(kind: str, query: str) -> QuerySet:
    """Ids of the objects of `kind` whose text contains every word of `query`, as a lazy subquery for
    `Model.objects.filter(pk__in=...)`. Raises EmptyQueryError (a ValueError) when the query has nothing
    to search for."""
    _check_kind(kind)
    plan = parse_query(query)
    documents = SearchDocument.objects.filter(_TokensMatch(_engine_query(plan)), kind=kind)
    for phrase in plan.phrases:
        documents = documents.filter(normalised_text__contains=phrase)
    return documents.values_list("object_id", flat=True)


def _candidate_clause(candidate_ids: CandidateIds) -> tuple[str, list]:
    """SQL restricting d.object_id to the caller's candidates. Raises EmptyResultSet when there are none."""
    if candidate_ids is None:
        return "", []
    if isinstance(candidate_ids, QuerySet):
        queryset = candidate_ids
        # As Django's own __in lookup does: a queryset of model instances stands for their primary keys.
        if not queryset.query.has_select_fields:
            queryset = queryset.values("pk")
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
        return f" AND d.object_id IN ({sql})", list(params)
    ids = sorted({int(i) for i in candidate_ids})
    if not ids:
        raise EmptyResultSet
    return f" AND d.object_id IN ({', '.join(['%s'] * len(ids))})", ids


def _fetch_hits(sql: str, params: list) -> list[SearchHit]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [SearchHit(int(object_id), float(score)) for object_id, score in cursor.fetchall()]


def ranked(
    kind: str, query: str, candidate_ids: CandidateIds = None, limit: int = 100, offset: int = 0
) -> list[SearchHit]:
    """The matching objects (as matching_ids) in relevance order, best first, with engine-specific scores:
    BM25 on SQLite, ts_rank on PostgreSQL; higher is better, compare them only within one result."""
    _check_kind(kind)
    _check_limit(limit)
    plan = parse_query(query)
    try:
        candidates_sql, candidates_params = _candidate_clause(candidate_ids)
    except EmptyResultSet:
        return []
    engine = _engine()
    engine_query = engine.query(plan.exact_tokens, plan.prefix_tokens)
    phrases_sql = " AND d.normalised_text LIKE %s ESCAPE '\\'" * len(plan.phrases)
    sql = (
        f"SELECT d.object_id, {engine.relevance} AS score {engine.matching_documents} "  # noqa: S608
        f"AND d.kind = %s{phrases_sql}{candidates_sql} ORDER BY score DESC, d.object_id LIMIT %s OFFSET %s"
    )
    params = [
        *engine.relevance_params(engine_query),
        engine_query,
        kind,
        *(_like_pattern(phrase) for phrase in plan.phrases),
        *candidates_params,
        limit,
        offset,
    ]
    return _fetch_hits(sql, params)


def _document_frequencies(kind: str, terms: Iterable[str]) -> dict[str, int]:
    """How many documents of `kind` hold each of the terms: one statement, whatever their number."""
    terms = sorted(set(terms))
    if not terms:
        return {}
    engine = _engine()
    table = connection.ops.quote_name(SearchTerm._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT term, document_count FROM {table} WHERE kind = %s AND {engine.term_in_list}",  # noqa: S608
            [kind, engine.term_list(terms)],
        )
        return dict(cursor.fetchall())


@dataclass(frozen=True)
class _Weighting:
    """TF-IDF over one kind's documents: `(1 + ln tf) × ln(1 + (N − df + 0.5)/(df + 0.5))`, the BM25 form of
    the inverse document frequency. Stop terms (see STOP_TERM_SHARE) weigh nothing."""

    total: int

    @property
    def most(self) -> int:
        return max(STOP_TERM_MIN_DOCUMENTS, int(self.total * STOP_TERM_SHARE))

    def vector(self, counts: Counter, frequencies: Mapping[str, int]) -> dict[str, float]:
        # A term of the document is in at least that document, even one indexed since df was read.
        return {
            term: (1 + math.log(count)) * math.log(1 + (self.total - df + 0.5) / (df + 0.5))
            for term, count in counts.items()
            if (df := max(frequencies.get(term, 1), 1)) <= self.most
        }


def _distinctive_terms(weights: Mapping[str, float]) -> dict[str, float]:
    """The source's SIMILARITY_TERMS heaviest terms that another document holds too (a term of document
    frequency 1 cannot make anything similar), weighted to sum to 1: what the indexed statement looks for."""
    chosen = sorted(weights, key=lambda term: (-weights[term], term))[:SIMILARITY_TERMS]
    weight_sum = sum(weights[term] for term in chosen)
    return {term: weights[term] / weight_sum for term in chosen} if weight_sum else {}


def _cosine(left: Mapping[str, float], right: Mapping[str, float]) -> float:
    norms = math.sqrt(sum(w * w for w in left.values())) * math.sqrt(sum(w * w for w in right.values()))
    if not norms:
        return 0.0
    if len(right) < len(left):
        left, right = right, left
    return sum(weight * right[term] for term, weight in left.items() if term in right) / norms


def similar(
    kind: str, object_id: int, candidate_ids: CandidateIds = None, limit: int = 5, min_score: float = 0.0
) -> list[SearchHit]:
    """The other objects of `kind` most similar to this one, best first, each scoring at least `min_score`.

    The score is the cosine of the two documents' TF-IDF vectors (see _Weighting), from 0 (no term in
    common) to 1 (the same text): the weight the two share, relative to what each document scores against
    itself, so a long document does not score high merely by holding many terms, and the score means the
    same for every source and on both engines. The documents scored are the SIMILARITY_POOL that hold the
    most of the source's distinctive weight (one indexed statement). An object that is not indexed has no
    similar objects."""
    _check_kind(kind)
    _check_limit(limit)
    if not 0 <= min_score <= 1:
        raise ValueError(f"min_score={min_score} must be between 0 and 1.")
    source = SearchDocument.objects.filter(kind=kind, object_id=object_id).values_list("id", "tokens").first()
    if source is None:
        return []
    source_id, token_text = source
    weighting = _Weighting(SearchDocument.objects.filter(kind=kind).count())
    counts = Counter(token_text.split())
    frequencies = _document_frequencies(kind, counts)
    source_vector = weighting.vector(counts, frequencies)
    terms = _distinctive_terms(
        {term: w for term, w in source_vector.items() if frequencies.get(term, 1) >= 2}
    )
    if not terms:
        return []
    try:
        candidates_sql, candidates_params = _candidate_clause(candidate_ids)
    except EmptyResultSet:
        return []
    engine = _engine()
    # The share of the source's weight that a document holds: one CASE per distinctive term.
    term_score = f"CASE WHEN {engine.row_matches.format(d='d')} THEN {engine.weight} ELSE 0 END"
    score = " + ".join([term_score] * len(terms))
    sql = (
        f"SELECT d.object_id, ({score}) AS score {engine.matching_documents} "  # noqa: S608
        f"AND d.kind = %s AND d.id <> %s{candidates_sql} ORDER BY score DESC, d.object_id LIMIT %s"
    )
    score_params = [value for term, weight in terms.items() for value in (engine.quote(term), weight)]
    params = [*score_params, engine.any_of(terms), kind, source_id, *candidates_params, SIMILARITY_POOL]
    pool = [hit.object_id for hit in _fetch_hits(sql, params)]
    if not pool:
        return []
    documents = SearchDocument.objects.filter(kind=kind, object_id__in=pool).values_list(
        "object_id", "tokens"
    )
    counts_of = {other_id: Counter(other_tokens.split()) for other_id, other_tokens in documents}
    frequencies.update(
        _document_frequencies(
            kind, {term for other in counts_of.values() for term in other} - frequencies.keys()
        )
    )
    hits = [
        SearchHit(other_id, _cosine(source_vector, weighting.vector(other_counts, frequencies)))
        for other_id, other_counts in counts_of.items()
    ]
    hits = [hit for hit in hits if hit.score >= min_score and hit.score > 0]
    hits.sort(key=lambda hit: (-hit.score, hit.object_id))
    return hits[:limit]
