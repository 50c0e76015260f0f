"""The reader's pass over a question's candidates: which sentences it reads, and what it says.

The candidate pool is the one home of "which sentences may answer": the fused candidates,
plus, for "What did X say?", the sentences the corpus attributes to X (retrieval may rank
none of them), most similar to the question first, at most :data:`POOL_LIMIT` in all. The
trained reader (:mod:`service.components.reader`) scores the first
``reader.max_candidates`` of the pool (a pair costs ~4 ms on one core: the reader's share
of the ``/ask`` budget) in one call; its sigmoid is the probability that the sentence
answers the question, and the best one is the question's answerability.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np

from service.index.catalog import Scope
from service.index.corpus import CorpusSnapshot
from service.language.question import asked_speaker

POOL_LIMIT = 40  # most candidate sentences the answerer weighs for one question


class Reader(Protocol):
    """What retrieval needs of a reader (:class:`service.components.reader.OnnxReader`):
    a logit per (question, sentence) pair."""

    def logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray: ...


def candidate_pool(
    question: str,
    fused: Mapping[int, float],
    snap: CorpusSnapshot,
    similarity: Callable[[int], float],
    limit: int,
    scope: Scope | None = None,
) -> list[int]:
    """The positions that may answer ``question``: the fused candidates best first, then the
    asked speaker's sentences by similarity (those ``scope`` admits, with a filter), at
    most ``limit`` (the fused ones always kept)."""
    pool = sorted(fused, key=lambda p: (-fused[p], p))
    speaker = asked_speaker(question, snap.names)
    if speaker is not None:
        taken = set(pool)
        said = [
            p
            for p in snap.said_by.get(speaker[0], ())
            if p not in taken and (scope is None or p in scope)
        ]
        said.sort(key=lambda p: (-similarity(p), p))
        pool += said[: max(0, limit - len(pool))]
    return pool


def read(
    reader: Reader, question: str, positions: Sequence[int], snap: CorpusSnapshot
) -> dict[int, float]:
    """P(sentence answers ``question``) for each position, from one batched reader call."""
    if not positions:
        return {}
    logits = reader.logits([(question, snap.sentences[p].text) for p in positions])
    probs = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    return {p: float(v) for p, v in zip(positions, probs, strict=True)}
