"""BM25 over sentences (bm25s), with name spellings folded to one token per name."""

from __future__ import annotations

import bm25s
import numpy as np

from service.language.keys import lexical_tokens
from service.language.names import NameIndex
from service.language.text import repair_text


class LexicalIndex:
    """A BM25 index of one snapshot of the corpus; rebuilt, never edited, when it changes."""

    def __init__(self, texts: list[str], names: NameIndex) -> None:
        self.names = names
        self.size = len(texts)
        self._bm25 = bm25s.BM25()
        corpus = [lexical_tokens(repair_text(t), names) or ["<empty>"] for t in texts]
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def search(self, question: str, n: int) -> list[tuple[int, float]]:
        """(sentence position, BM25 score), best first; only positive scores."""
        tokens = lexical_tokens(question, self.names, fuzzy=True)
        if not tokens or self.size == 0:
            return []
        scores = np.asarray(self._bm25.get_scores(tokens))
        order = np.argsort(-scores)[:n]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
