"""The top ``n`` of a score array in linear time, with ties broken the same way everywhere.

Why not a bare ``np.argpartition``: it picks among scores tied at the cut arbitrarily (by
memory layout), and tied scores are common here (a sentence repeated across articles has
the same vector and the same BM25 score everywhere), so the same question could rank
differently on two processes holding the same index.
"""

from __future__ import annotations

import numpy as np


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` highest scores, best first; ties go to the earlier position.

    Linear in ``len(scores)`` (one partition, two comparisons), then only the ``n``
    chosen are sorted."""
    if n <= 0 or not len(scores):
        return np.zeros(0, dtype=np.int64)
    if len(scores) > n:
        # The n-th best as the n-th smallest of the negated scores: partitioning for the
        # (len - n)-th smallest instead is 20x slower when most scores are equal (zeros).
        cut = -np.partition(-scores, n - 1)[n - 1]
        above = np.flatnonzero(scores > cut)
        tied = np.flatnonzero(scores == cut)[: n - len(above)]
        top = np.concatenate([above, tied])
    else:
        top = np.arange(len(scores))
    return top[np.lexsort((top, -scores[top]))]
