"""From text to index tokens, and from a search box to what a document must contain.

Japanese is written without spaces, so a word cannot be found by splitting on them. Runs of kanji and kana
become overlapping character bigrams (停電が発生 → 停電 電が が発 発生), plus the run's last character on its own,
so that a single character is still findable as a prefix (電 → 電* matches 電が, or 電 at the end of a run).
Latin, digits and other scripts become whole words. Every token consists only of letters and digits
(Unicode categories L and N), which is exactly what SQLite's unicode61 tokenizer keeps, so the database never
splits a token differently from this module.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# Kana, kanji (with extensions and compatibility ideographs) and the iteration and closing marks 々〆〇.
# Punctuation inside these blocks (・, ゛, ゠) is no letter: a character counts only if \w also takes it.
_CJK = "\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_RUN = re.compile(rf"(?P<cjk>(?:[^\W_](?<=[{_CJK}]))+)|(?P<word>[^\W_{_CJK}]+)")

# PostgreSQL refuses lexemes over 2,046 bytes; nobody searches for a 100-letter word, so longer runs are cut
# on both the document and the query side, which keeps them consistent.
MAX_TOKEN_CHARS = 100
# Only this much of a document's normalised text is indexed: it keeps a PostgreSQL tsvector well under its
# 1 MB limit even when every bigram differs (a failure case is about 1,000 characters).
MAX_INDEXED_CHARS = 100_000


class EmptyQueryError(ValueError):
    """The query has no letter, digit, kana or kanji: there is nothing to search for."""

    def __init__(self, query: str) -> None:
        self.query = query
        super().__init__(str(_("Enter at least one letter, digit, kana or kanji to search for.")))


def normalise(text: str) -> str:
    """NFKC folds full-width Latin and half-width kana (ＶＰＮ → VPN, ﾃﾞﾝ → デン); then lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def join_parts(text_parts: Mapping[str, str] | str) -> str:
    """One text from a document's parts; the newline keeps a bigram from spanning two parts."""
    if isinstance(text_parts, str):
        return text_parts
    return "\n".join(part for part in text_parts.values() if part)


def _cjk_tokens(run: str) -> list[str]:
    bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
    return [*bigrams, run[-1]]


def tokens(normalised_text: str) -> list[str]:
    """The index tokens of already normalised text, in reading order (ranking uses their positions)."""
    result: list[str] = []
    for match in _RUN.finditer(normalised_text):
        if match.lastgroup == "cjk":
            result.extend(_cjk_tokens(match.group()))
        else:
            result.append(match.group()[:MAX_TOKEN_CHARS])
    return result


@dataclass(frozen=True)
class QueryTerm:
    """One space-separated part of a query. A document matches when it holds every token in `exact`, a token
    starting with each of `prefixes`, and — when the tokens alone could come from scattered places — the
    normalised `phrase` itself."""

    exact: tuple[str, ...]
    prefixes: tuple[str, ...]
    phrase: str | None


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[QueryTerm, ...]

    @property
    def exact_tokens(self) -> list[str]:
        return sorted({token for term in self.terms for token in term.exact})

    @property
    def prefix_tokens(self) -> list[str]:
        return sorted({token for term in self.terms for token in term.prefixes})

    @property
    def phrases(self) -> list[str]:
        return sorted({term.phrase for term in self.terms if term.phrase})


def _parse_term(term: str) -> QueryTerm | None:
    runs = list(_RUN.finditer(term))
    if not runs:
        return None
    exact: list[str] = []
    prefixes: list[str] = []
    for run in runs:
        text = run.group()
        if run.lastgroup == "word":
            exact.append(text[:MAX_TOKEN_CHARS])
        elif len(text) == 1:
            prefixes.append(text)
        else:
            # Only the bigrams: the run's last character stands alone in a document only where its run ends.
            exact.extend(_cjk_tokens(text)[:-1])
    phrase = term[runs[0].start() : runs[-1].end()]
    needs_phrase = len(exact) + len(prefixes) > 1
    return QueryTerm(tuple(exact), tuple(prefixes), phrase if needs_phrase else None)


def parse_query(query: str) -> ParsedQuery:
    """Words separated by spaces (half or full width) must all occur. Raises EmptyQueryError when the query
    holds nothing searchable (empty, spaces, only punctuation)."""
    terms = [parsed for part in normalise(query).split() if (parsed := _parse_term(part))]
    if not terms:
        raise EmptyQueryError(query)
    return ParsedQuery(tuple(terms))


def is_searchable(query: str) -> bool:
    """Whether parse_query would accept the query: lets a view treat "!!!" like an empty search box."""
    try:
        parse_query(query)
    except EmptyQueryError:
        return False
    return True


# -- content words, for "similar documents" --------------------------------------------------------------
# Bigrams find a word wherever it is written, which is what a search box needs; but two texts on different
# subjects share many bigrams of everyday words (した, システム, 時間), so comparing whole documents by them
# says little. Similarity compares content words instead: the nouns, verbs and adjectives a morphological
# analyser (MeCab through fugashi, with UniDic-lite: already the anonymiser's) finds, each in its dictionary
# form, so that 不正ログインされた and 不正にログインした share 不正 and ログイン.
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞"})
# Numbers, and the words that only carry grammar (する, いる, なる, こと as a form word).
_FUNCTION_POS2 = frozenset({"数詞", "非自立可能", "助動詞語幹"})
_TERM = re.compile(r"[^\W_]+")


@functools.cache
def _tagger():
    # Loaded on first use: building the tagger reads the dictionary (about 0.1 s).
    import fugashi

    return fugashi.Tagger()


def content_words(text: str) -> list[str]:
    """The content words of `text` in reading order, normalised (NFKC, lower case) and in dictionary form
    (サーバ and サーバー are one word). Every word consists only of letters and digits, as an index token
    must; a single Latin letter or digit is left out."""
    words: list[str] = []
    for word in _tagger()(normalise(text)):
        feature = word.feature
        if feature.pos1 not in _CONTENT_POS or feature.pos2 in _FUNCTION_POS2:
            continue
        # UniDic writes a loanword's lemma with its origin (サーバー-server): the part before the dash.
        lemma = (feature.lemma or word.surface).split("-", 1)[0] or word.surface
        term = normalise(lemma)[:MAX_TOKEN_CHARS]
        if _TERM.fullmatch(term) and not (len(term) == 1 and term.isascii()):
            words.append(term)
    return words


def is_index_term(term: str) -> bool:
    """Whether `term` can be one index token as it is: letters and digits only, at most MAX_TOKEN_CHARS."""
    return bool(_TERM.fullmatch(term)) and len(term) <= MAX_TOKEN_CHARS
