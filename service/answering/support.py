"""Does the corpus support an answer? Decided by the service, never by a model's honesty.

Three checks, each a property of the question and the evidence, not of known questions:
- an instruction aimed at the system rather than a question about the articles;
- a specific term of the question (a name, a number) that the corpus never mentions;
- evidence that covers too little of what the question asks about.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from service.index.corpus import CorpusSnapshot
from service.retrieval.text import QUESTION_WORDS, STOPWORDS, content_terms, stem, words

# Messages that address the system instead of asking about the articles. These are
# patterns of prompt injection in general (override, role play, prompt extraction, off-task
# generation), not of any one message.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|prompts?|rules?|"
    r"guidelines?|above|previous|context)\b"
    r"|\byou are (now|no longer)\b|\bact as\b|\bpretend (to be|you)\b|\brole-?play\b"
    r"|\b(system|hidden|initial) (prompt|message|instructions?)\b|\bjailbreak\b|\bDAN\b"
    r"|\b(reveal|print|show|repeat|output)\b.{0,30}\b(prompt|instructions?)\b"
    r"|^\s*(please\s+)?(write|compose|generate|translate|draft|create)\s+(me\s+)?(a|an|some|the)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d")
_ASKS_NUMBER = re.compile(r"^\s*(how (many|much|long|old)|what (number|percentage|year))\b", re.I)


@dataclass(frozen=True)
class Verdict:
    supported: bool
    reason: str | None = None  # "instruction" | "unknown_terms" | "no_evidence"
    detail: str | None = None
    missing: tuple[str, ...] = ()


def is_instruction(question: str) -> bool:
    return bool(_INSTRUCTION.search(question))


def term_key(word: str, snap: CorpusSnapshot) -> str:
    """The form in which a word is compared with the corpus: a name's cluster, or a stem."""
    canon = snap.names.resolve(word) if len(word) >= 4 else None
    return f"name:{canon}" if canon else stem(word)


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
        key = term_key(w, snap)
        if key not in seen:
            seen.add(key)
            out.append((w, key))
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


def asks_for_number(question: str) -> bool:
    return bool(_ASKS_NUMBER.search(question))


__all__ = [
    "Verdict",
    "asks_for_number",
    "content_terms",
    "coverage",
    "is_instruction",
    "question_keys",
    "unknown_terms",
]
