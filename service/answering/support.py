"""How well the corpus and a piece of evidence cover a question's terms (IDF weighted).

The measures the refusal check (``answering.refusal``) and the extractive answerer share:
the question's comparison keys, the specific terms the corpus never mentions, and the
share of the question's keys a text covers.
"""

from __future__ import annotations

import math
import re

from service.index.corpus import CorpusSnapshot
from service.language.keys import word_key
from service.language.text import QUESTION_WORDS, STOPWORDS, words

_NUMBER = re.compile(r"\d")


def idf(key: str, snap: CorpusSnapshot) -> float:
    n = max(1, len(snap.sentences))
    return math.log(1 + n / (1 + snap.document_frequency.get(key, 0)))


def question_keys(question: str, snap: CorpusSnapshot) -> list[tuple[str, str]]:
    """(term as written, comparison key) for the content terms of a question."""
    out = []
    seen = set()
    for w in words(question):
        low = w.lower()
        if low in STOPWORDS or low in QUESTION_WORDS or len(low) < 2:
            continue
        key = word_key(w, snap.names, fuzzy=True)
        if key not in seen:
            seen.add(key)
            out.append((w, key))
    return out


def question_names(question: str, snap: CorpusSnapshot) -> list[str]:
    """Keys of the capitalised words after the first (names, as the question writes them)."""
    out = []
    for written, key in question_keys(question, snap):
        if written[:1].isupper() and not question.lstrip().startswith(written):
            out.append(key)
    return out


def unknown_terms(question: str, snap: CorpusSnapshot) -> list[str]:
    """Specific terms of the question (names, numbers, rare words) the corpus never uses."""
    vocab = snap.document_frequency
    first = words(question)[:1]
    out = []
    for written, key in question_keys(question, snap):
        if key in vocab:
            continue
        is_name = written[:1].isupper() and (not first or written != first[0])
        if is_name or _NUMBER.search(written):
            out.append(written)
    return out


def coverage(keys: list[str], text_keys: frozenset[str] | set[str], snap: CorpusSnapshot) -> float:
    """IDF-weighted share of the question's keys found in a piece of evidence."""
    if not keys:
        return 0.0
    total = sum(idf(k, snap) for k in keys)
    found = sum(idf(k, snap) for k in keys if k in text_keys)
    return found / total if total else 0.0
