"""What retrieval hands up: sentences of the index and the evidence found for a question.

Retrieval owns these types (answering and the HTTP layer read them), so retrieval never
imports from the layers above it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SentenceRef:
    """A sentence of the index: what a citation points at."""

    source: str
    sentence: int  # 1-based number within its file
    text: str  # exactly as stored: the file's text with white-space runs collapsed
    title: str | None = None


@dataclass(frozen=True)
class Evidence:
    """A retrieved sentence, its fused score and its neighbours for context."""

    ref: SentenceRef
    score: float
    dense: float | None = None  # cosine similarity to the question, when dense found it
    rank_dense: int | None = None
    rank_lexical: int | None = None
    answers: float | None = None  # the reader's probability that this sentence answers
    before: tuple[SentenceRef, ...] = ()
    after: tuple[SentenceRef, ...] = ()
