"""Fusion settings scored offline on the tuning halves (``python -m eval retrieval --sweep``).

From each question's full BM25 and cosine score arrays (:mod:`eval.retrieval`) every
setting of a small grid is ranked without asking the service again: reciprocal rank
fusion (k, dense weight, depth) and a convex combination of max-normalised BM25 and cosine
(weight, depth, neighbour smoothing: a sentence's score plus a share of the mean score of
its neighbours in the same document). As in the retriever, the candidates are the top
``depth`` of the raw cosine and BM25 lists; fusion and smoothing only rescore them.
Settings are chosen by pooled hit@5 on the tuning halves only (ties: hit@1 + hit@3); the
other halves are shown for the chosen settings, never used to choose. Exact cosine stands
in for Chroma's HNSW list here (the same at these corpus sizes; the real retriever's
figures are the main table).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from eval.retrieval import PART_ORDER, TUNING, CorpusRun, QuestionRun, by_part

RRF_K = (1, 2, 5, 10, 20, 40, 60)
DENSE_WEIGHTS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
DEPTHS = (10, 20, 40, 80)
CONVEX_ALPHAS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
SMOOTHING = (0.0, 0.1, 0.25)


@dataclass(frozen=True)
class Setting:
    method: str  # rrf | convex
    depth: int
    k: float = 0.0  # rrf constant
    dense_weight: float = 1.0  # rrf: weight of the dense list; convex: share of cosine
    smooth: float = 0.0  # share of the neighbours' mean score added to a sentence's

    def label(self) -> str:
        core = (
            f"rrf k={self.k:g} dense_weight={self.dense_weight:g}"
            if self.method == "rrf"
            else f"convex cosine_share={self.dense_weight:g}"
        )
        return f"{core} depth={self.depth} smooth={self.smooth:g}"


def _smoothed(scores: np.ndarray, sources: np.ndarray, share: float) -> np.ndarray:
    if share == 0.0:
        return scores
    prev = np.concatenate([[0.0], scores[:-1]])
    nxt = np.concatenate([scores[1:], [0.0]])
    same_prev = np.concatenate([[False], sources[1:] == sources[:-1]])
    same_next = np.concatenate([sources[:-1] == sources[1:], [False]])
    count = same_prev.astype(float) + same_next.astype(float)
    total = np.where(same_prev, prev, 0.0) + np.where(same_next, nxt, 0.0)
    return np.asarray(scores + share * total / np.maximum(count, 1.0))


def _ranks(scores: np.ndarray, depth: int, positive_only: bool) -> np.ndarray:
    """1-based rank of each position within the top ``depth`` (ties: earlier first);
    inf outside it."""
    order = np.lexsort((np.arange(len(scores)), -scores))[:depth]
    if positive_only:
        order = order[scores[order] > 0]
    ranks = np.full(len(scores), np.inf)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def rank(q: QuestionRun, sources: np.ndarray, s: Setting, top: int = 5) -> list[int]:
    """The top positions under ``s``, computed the way the retriever does: the pool is the
    top ``depth`` of the raw cosine and BM25 lists; smoothing and fusion rescore the pool."""
    assert q.lexical_scores is not None and q.dense_scores is not None
    lex_raw = q.lexical_scores.astype(float)
    den_raw = q.dense_scores.astype(float)
    rl = _ranks(lex_raw, s.depth, positive_only=True)
    rd = _ranks(den_raw, s.depth, positive_only=False)
    pool = np.isfinite(rl) | np.isfinite(rd)
    if s.method == "rrf":
        fused = s.dense_weight / (s.k + rd) + 1.0 / (s.k + rl)
    else:
        lex = _smoothed(lex_raw, sources, s.smooth)
        den = _smoothed(den_raw, sources, s.smooth)
        top_lex = lex_raw.max() if lex_raw.max() > 0 else 1.0
        fused = s.dense_weight * den + (1 - s.dense_weight) * lex / top_lex
    fused = np.where(pool, fused, -np.inf)
    order = np.lexsort((np.arange(len(fused)), -fused))[:top]
    return [int(i) for i in order if np.isfinite(fused[i])]


def _grid() -> list[Setting]:
    out = [Setting("rrf", d, k, w) for k, w, d in itertools.product(RRF_K, DENSE_WEIGHTS, DEPTHS)]
    out += [
        Setting("convex", d, 0.0, a, sm)
        for a, d, sm in itertools.product(CONVEX_ALPHAS, DEPTHS, SMOOTHING)
    ]
    return out


def score(
    runs: Sequence[CorpusRun], parts: Sequence[str], s: Setting
) -> dict[str, tuple[float, float, float, int]]:
    """hit@1, hit@3, hit@5 and the question count of ``s`` per suite half."""
    out = {}
    for run in runs:
        sources = np.array(run.sources)
        for part, questions in by_part([run]).items():
            if part not in parts:
                continue
            h = np.zeros(3)
            for q in questions:
                got = [run.keys[i] for i in rank(q, sources, s)]
                gold = q.case.gold_union
                h += [bool(set(got[:k]) & gold) for k in (1, 3, 5)]
            n = max(len(questions), 1)
            out[part] = (h[0] / n, h[1] / n, h[2] / n, len(questions))
    return out


def _pooled(per_part: dict[str, tuple[float, float, float, int]]) -> tuple[float, float]:
    n = sum(v[3] for v in per_part.values()) or 1
    at5 = sum(v[2] * v[3] for v in per_part.values()) / n
    at13 = sum((v[0] + v[1]) * v[3] for v in per_part.values()) / n
    return at5, at13


def sweep(runs: Sequence[CorpusRun], show: int = 12) -> str:
    tuning = [p for p in TUNING if any(q.case.part == p for r in runs for q in r.questions)]
    if not tuning:
        return "sweep: no tuning half among the corpora run (use news and/or squad)"
    scored = []
    for s in _grid():
        per = score(runs, tuning, s)
        scored.append((_pooled(per), s, per))
    scored.sort(key=lambda x: (-x[0][0], -x[0][1], x[1].label()))
    lines = [f"\nSweep on {', '.join(tuning)} (pooled hit@5, then hit@1+hit@3):"]
    for (at5, at13), s, per in scored[:show]:
        cells = "  ".join(f"{p} {v[2]:.3f}" for p, v in per.items())
        lines.append(f"  {at5:.4f} {at13:.4f}  {s.label()}  [{cells}]")
    best = scored[0][1]
    everything = score(runs, PART_ORDER, best)
    lines.append(f"Chosen: {best.label()}; every half (hit@1/3/5):")
    for part, v in everything.items():
        lines.append(f"  {part:14s} n={v[3]:4d}  {v[0]:.3f} / {v[1]:.3f} / {v[2]:.3f}")
    return "\n".join(lines)
