"""Fusion of the dense and the lexical list into one ranking (the one place to change it).

Two methods, chosen by ``retrieval.fusion``:

- ``convex`` (default): ``share * cosine + (1 - share) * bm25 / best_bm25`` over the pooled
  candidates, each score first raised by ``smoothing`` times the mean score of the
  sentence's neighbours in its document (a sentence that answers often follows the one
  that names the subject). BM25 is divided by the question's best BM25 score, so that it
  lies in [0, 1] like the cosine (BM25's scale changes with the question's terms and the
  corpus; the cosine's does not). Chosen on the tuning halves (SQuAD tuning + news
  tuning): sentence hit@5 .923, as high as the best RRF setting, with more hits at 1 and 3
  (hit@1 + hit@3 1.538 vs 1.503); RRF throws away how far apart the scores are. See
  eval/README.md, "Retrieval alone".
- ``rrf``: reciprocal rank fusion, ``weight / (k + rank)`` from each list: no score
  calibration, only ranks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from service.settings import RetrievalSettings


class LexicalScores(Protocol):
    """BM25 scores by sentence position: an array of every sentence's score, or the
    sparse ``service.index.lexical.LexicalHits`` (0 where no term reaches)."""

    def __len__(self) -> int: ...
    def __getitem__(self, pos: Any, /) -> Any: ...  # one position, or an array of them
    def max(self) -> Any: ...


@dataclass
class Fused:
    """Fused score by sentence position, and each position's rank in either list."""

    scores: dict[int, float] = field(default_factory=dict)
    rank_dense: dict[int, int] = field(default_factory=dict)
    rank_lexical: dict[int, int] = field(default_factory=dict)

    def top(self, k: int) -> list[int]:
        """The ``k`` best positions; ties go to the earlier sentence."""
        return sorted(self.scores, key=lambda p: (-self.scores[p], p))[:k]


def _ranks(dense: Sequence[int | None], lexical: Sequence[int]) -> Fused:
    """Each list's ranks. None stands for a hit the caller cannot place (a Chroma hit the
    snapshot, a moment older than Chroma, does not hold yet): it is left out but keeps its
    rank, so the ranks of the hits after it do not move."""
    out = Fused()
    for rank, pos in enumerate(dense, start=1):
        if pos is not None:
            out.rank_dense[pos] = rank
    for rank, pos in enumerate(lexical, start=1):
        out.rank_lexical[pos] = rank
    return out


def fuse(dense: Sequence[int | None], lexical: Sequence[int], settings: RetrievalSettings) -> Fused:
    """Reciprocal rank fusion of two rankings of sentence positions, best first."""
    out = _ranks(dense, lexical)
    c = settings.rrf_k
    for pos, rank in out.rank_dense.items():
        out.scores[pos] = out.scores.get(pos, 0.0) + settings.dense_weight / (c + rank)
    for pos, rank in out.rank_lexical.items():
        out.scores[pos] = out.scores.get(pos, 0.0) + settings.lexical_weight / (c + rank)
    return out


def fuse_scores(
    dense: Sequence[int | None],
    lexical: Sequence[int],
    cosine: Callable[[int], float],
    bm25: LexicalScores,
    neighbours: Callable[[int], Sequence[int]],
    settings: RetrievalSettings,
) -> Fused:
    """Convex combination of cosine and max-normalised BM25 over the pooled candidates.

    ``cosine(pos)``: the question's cosine similarity to a sentence; ``bm25``: any
    sentence's BM25 score (``bm25[pos]``) and the best of them (``bm25.max()``);
    ``neighbours(pos)``: the positions next to one in its document.
    """
    out = _ranks(dense, lexical)
    best = float(bm25.max()) if len(bm25) else 0.0
    best = best if best > 0 else 1.0
    share, smoothing = settings.dense_share, settings.smoothing
    pooled = list({**out.rank_dense, **out.rank_lexical})
    near = {pos: neighbours(pos) if smoothing else () for pos in pooled}
    # Every BM25 score the sums below read, in one indexing call: the sparse hits find a
    # position by binary search, and one call per position was ~13 % of /ask at 100k
    # articles (py-spy). The same float32 scores, divided in float64 as before.
    wanted = sorted({*pooled, *(p for ps in near.values() for p in ps)})
    found = np.asarray(bm25[np.asarray(wanted, dtype=np.int64)], dtype=np.float64) / best
    lexical_score = dict(zip(wanted, found.tolist(), strict=True)).__getitem__

    def smoothed(score: Callable[[int], float], pos: int) -> float:
        value = score(pos)
        if near[pos]:
            value += smoothing * sum(score(p) for p in near[pos]) / len(near[pos])
        return value

    for pos in pooled:
        out.scores[pos] = share * smoothed(cosine, pos) + (1 - share) * smoothed(lexical_score, pos)
    return out
