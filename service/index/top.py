"""The top ``n`` of a score array in linear time, with ties broken the same way everywhere.

Why not a bare ``np.argpartition``: it picks among scores tied at the cut arbitrarily (by
memory layout), and tied scores are common here (a sentence repeated across articles has
the same vector and the same BM25 score everywhere), so the same question could rank
differently on two processes holding the same index.
"""

from __future__ import annotations

import numpy as np


def top_n(scores: np.ndarray, n: int, keys: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``n`` highest scores, best first; ties go to the smaller ``keys``
    (the earlier index without them).

    Linear in ``len(scores)`` (one partition, two comparisons), then only the ``n``
    chosen are sorted (and, with ``keys``, the scores tied at the cut)."""
    if n <= 0 or not len(scores):
        return np.zeros(0, dtype=np.int64)
    order = np.arange(len(scores)) if keys is None else np.asarray(keys)
    if len(scores) > n:
        # The n-th best as the n-th smallest of the negated scores: partitioning for the
        # (len - n)-th smallest instead is 20x slower when most scores are equal (zeros).
        cut = -np.partition(-scores, n - 1)[n - 1]
        above = np.flatnonzero(scores > cut)
        tied = np.flatnonzero(scores == cut)
        if keys is not None:
            tied = tied[np.argsort(order[tied], kind="stable")]
        top = np.concatenate([above, tied[: n - len(above)]])
    else:
        top = np.arange(len(scores))
    return top[np.lexsort((order[top], -scores[top]))]
