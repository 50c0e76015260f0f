"""Which sentences carry each distinct text, and the ranking of sentences by their text's
score: one home for both searches (dense and BM25) that score texts, not sentences.

The index keeps one vector per distinct sentence text (``service.index.store``), and the
BM25 index one row per distinct text (``service.index.lexical``): a line 500 articles
carry is scored once. A hit on a text stands for every sentence carrying it, ranked as if
each were scored alone: best first, ties by position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def locate(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``keys`` stands in ``sorted_keys`` (non-empty), and whether it is
    there at all: the one lookup of texts by key or index (the snapshot's vectors, the
    BM25 rows a rebuild reuses, the texts a question's terms reach)."""
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return at, sorted_keys[at] == keys


@dataclass(frozen=True)
class Carriers:
    """Sentence ``i`` carries text ``text_of[i]``; text ``t``'s sentences are
    ``order[bounds[t]:bounds[t + 1]]``, in ascending position."""

    text_of: np.ndarray  # int64, one per sentence
    order: np.ndarray  # sentence positions grouped by text
    bounds: np.ndarray  # len(texts) + 1 offsets into ``order``

    @classmethod
    def of(cls, text_of: np.ndarray, texts: int) -> Carriers:
        """From each sentence's text index (``texts``: how many texts there are)."""
        text_of = np.asarray(text_of, dtype=np.int64)
        order = np.argsort(text_of, kind="stable")
        bounds = np.searchsorted(text_of[order], np.arange(texts + 1))
        return cls(text_of, order, bounds)

    @classmethod
    def one_each(cls, sentences: int) -> Carriers:
        """Every sentence a text of its own."""
        every = np.arange(sentences, dtype=np.int64)
        return cls(every, every, np.arange(sentences + 1, dtype=np.int64))

    @property
    def texts(self) -> int:
        return len(self.bounds) - 1

    def counts(self) -> np.ndarray:
        """How many sentences carry each text."""
        return np.diff(self.bounds)

    def first(self) -> np.ndarray:
        """Each text's first sentence (a text no sentence carries: -1)."""
        out = np.full(self.texts, -1, dtype=np.int64)
        held = self.counts() > 0
        out[held] = self.order[self.bounds[:-1][held]]
        return out

    def rank(self, texts: np.ndarray, scores: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The ``n`` best sentences carrying ``texts`` (text indices, each with its score):
        (position, score), best first, ties by position. At most ``n`` sentences of a text
        are read: a line 500 articles carry costs ``n``, not 500."""
        if n <= 0 or not len(texts):
            return []
        positions, values = self.expand(texts, scores, n)
        best = np.lexsort((positions, -values))[:n]
        return [(int(p), float(v)) for p, v in zip(positions[best], values[best], strict=True)]

    def expand(
        self, texts: np.ndarray, scores: np.ndarray, most: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The sentences carrying ``texts`` (at most ``most`` of each text: its first),
        each with its text's score: (positions, scores), grouped by text."""
        texts = np.asarray(texts, dtype=np.int64)
        starts = self.bounds[texts]
        lengths = self.bounds[texts + 1] - starts
        if most is not None:
            lengths = np.minimum(lengths, most)
        total = int(lengths.sum())
        # the positions order[starts[j] : starts[j] + lengths[j]] of every text j, in one
        # gather: each slot's offset within its text, added to its text's start
        offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        positions = self.order[np.repeat(starts, lengths) + offsets]
        return positions, np.repeat(np.asarray(scores), lengths)
