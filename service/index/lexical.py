"""BM25 over sentences (bm25s) on the stems of their content words."""

from __future__ import annotations

import bm25s
import numpy as np

from service.language.keys import stem_tokens
from service.language.names import NameIndex
from service.language.text import repair_text


class LexicalIndex:
    """A BM25 index (bm25s) of one snapshot of the corpus.

    Why bm25s and a rebuild rather than an incremental inverted index: bm25s scores a
    question with sparse-matrix arithmetic in C over the postings of its few terms
    (no per-sentence Python), and building it is cheap once the sentences are tokenised.
    What was expensive was tokenising (mojibake repair, word split, stemming: ~0.3-2 ms a
    sentence under load), so the tokens of each sentence are kept across rebuilds
    (``previous``) and only new sentences are tokenised. Tokens are
    :func:`~service.language.keys.stem_tokens` (no name-spelling folding, which cost
    retrieval quality on the tuning suites). ``names`` no longer shapes the tokens; it stays
    in the signature (and as ``self.names``) so that the snapshot builder need not change.
    """

    def __init__(
        self, texts: list[str], names: NameIndex, previous: LexicalIndex | None = None
    ) -> None:
        self.names = names
        self.size = len(texts)
        known = previous._tokens if previous is not None else {}
        self._tokens: dict[str, list[str]] = {}
        corpus = []
        for t in texts:
            tokens = known.get(t)
            if tokens is None:
                tokens = stem_tokens(repair_text(t)) or ["<empty>"]
            self._tokens[t] = tokens
            corpus.append(tokens)
        self._bm25 = bm25s.BM25()
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def scores(self, question: str) -> np.ndarray:
        """The BM25 score of every sentence position for ``question`` (zeros: no term)."""
        tokens = stem_tokens(question)
        if not tokens or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens))

    def search(self, question: str, n: int) -> list[tuple[int, float]]:
        """(sentence position, BM25 score), best first; only positive scores."""
        return best(self.scores(question), n)


def best(scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The top ``n`` positive scores as (position, score), best first (ties: earlier)."""
    if not scores.any():
        return []
    # The top n in linear time (argpartition), then only those sorted.
    top = np.argpartition(-scores, n)[:n] if len(scores) > n else np.arange(len(scores))
    order = top[np.lexsort((top, -scores[top]))]
    return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
