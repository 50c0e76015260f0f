"""Reciprocal rank fusion of the dense and the lexical ranking (the one place to change it).

RRF adds ``weight / (k + rank)`` from every list a sentence appears in: it needs no score
calibration between cosine similarities and BM25 scores, which live on different scales.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from service.settings import RetrievalSettings


@dataclass
class Fused:
    """Fused score by sentence position, and each position's rank in either list."""

    scores: dict[int, float] = field(default_factory=dict)
    rank_dense: dict[int, int] = field(default_factory=dict)
    rank_lexical: dict[int, int] = field(default_factory=dict)

    def top(self, k: int) -> list[int]:
        """The ``k`` best positions; ties go to the earlier sentence."""
        return sorted(self.scores, key=lambda p: (-self.scores[p], p))[:k]


def fuse(
    dense: Sequence[int | None], lexical: Sequence[int | None], settings: RetrievalSettings
) -> Fused:
    """Fuse two rankings of sentence positions, best first.

    None stands for a hit the caller cannot place (a Chroma hit the snapshot, a moment
    older than Chroma, does not hold yet): it is left out but keeps its rank, so the
    ranks of the hits after it do not move.
    """
    out = Fused()
    c = settings.rrf_k
    for rank, pos in enumerate(dense, start=1):
        if pos is None:
            continue
        out.rank_dense[pos] = rank
        out.scores[pos] = out.scores.get(pos, 0.0) + settings.dense_weight / (c + rank)
    for rank, pos in enumerate(lexical, start=1):
        if pos is None:
            continue
        out.rank_lexical[pos] = rank
        out.scores[pos] = out.scores.get(pos, 0.0) + settings.lexical_weight / (c + rank)
    return out
