"""The BM25 side of a filtered question: the best sentences among a :class:`Scope`'s.

(The dense side is ``IndexState.dense(..., within=scope)``; which documents a filter
admits is ``service.index.catalog``.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from service.index.catalog import Scope
from service.index.lexical import LexicalHits
from service.index.top import top_n


@dataclass(frozen=True)
class ScopedLexical:
    """BM25 scores as the fusion reads them (``fusion.LexicalScores``), with the scope's
    best score as the one the fusion divides by: the best the question can reach here."""

    hits: LexicalHits
    best: float
    count: int  # sentences of the scope that score above 0

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, pos: Any, /) -> Any:
        return self.hits[pos]

    def max(self) -> float:
        return self.best


def lexical_within(hits: LexicalHits, scope: Scope, n: int) -> tuple[list[int], ScopedLexical]:
    """The ``n`` best-scoring positions of ``scope`` (best first, ties by position), and
    the scores for the fusion. Reads whichever is smaller: the sentences the question's
    terms reach (then keeps the scope's), or the scope's sentences (then looks up each
    one's score)."""
    if len(hits) <= len(scope.positions):
        positions, values = hits.carriers.expand(hits.texts, hits.scores)
        inside = scope.mask[positions]
        positions, values = positions[inside], values[inside]
    else:
        positions = scope.positions
        values = np.asarray(hits[positions], dtype=np.float32)
    reached = values > 0
    positions, values = positions[reached], values[reached]
    best = top_n(values, n, keys=positions)  # ties by position, whichever side read
    top = [int(p) for p in positions[best]]
    return top, ScopedLexical(hits, float(values.max()) if len(values) else 0.0, len(values))
