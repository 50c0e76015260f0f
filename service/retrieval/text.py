"""Shared word handling: tokens, stop words, stems and the "content terms" of a question."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from bm25s.stopwords import STOPWORDS_EN

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)

STOPWORDS: frozenset[str] = frozenset(STOPWORDS_EN) | frozenset(
    [
        "also",
        "would",
        "could",
        "should",
        "may",
        "might",
        "must",
        "shall",
        "can",
        "will",
        "one",
        "two",
        "just",
    ]
)
# Words that make a question a question but carry no topic: never evidence of support.
QUESTION_WORDS: frozenset[str] = frozenset(
    [
        "what",
        "who",
        "whom",
        "whose",
        "which",
        "when",
        "where",
        "why",
        "how",
        "did",
        "does",
        "do",
        "say",
        "said",
        "says",
        "tell",
        "told",
        "about",
        "according",
        "article",
        "articles",
        "report",
        "reported",
        "happen",
        "happened",
        "there",
        "much",
        "many",
        "mention",
        "mentioned",
        "think",
        "thought",
    ]
)


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def words(text: str) -> list[str]:
    """Word tokens as written (case kept), possessive 's removed, hyphenated parts split."""
    out: list[str] = []
    for m in _WORD.finditer(text):
        token = _POSSESSIVE.sub("", m.group(0))
        out.extend(t for t in re.split(r"[-'’]", token) if t)
    return out


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer().stemWord(ascii_fold(word).lower()))


def content_terms(text: str) -> list[str]:
    """Lower-cased words of a question that carry its topic (no stop or question words)."""
    return [
        w.lower()
        for w in words(text)
        if w.lower() not in STOPWORDS and w.lower() not in QUESTION_WORDS and len(w) > 1
    ]
