"""BM25 over sentences (bm25s), with name spellings folded to one token per name."""

from __future__ import annotations

import bm25s
import numpy as np

from service.language.keys import content_words, lexical_tokens, word_key
from service.language.names import NameIndex
from service.language.text import repair_text


class LexicalIndex:
    """A BM25 index (bm25s) of one snapshot of the corpus.

    Why bm25s and a rebuild rather than an incremental inverted index: bm25s scores a
    question with sparse-matrix arithmetic in C over the postings of its few terms
    (no per-sentence Python), and building it is cheap once the sentences are tokenised.
    What was expensive was tokenising (mojibake repair, word split, stemming: ~0.3-2 ms a
    sentence under load), so the case-folded content words of each sentence are kept
    across rebuilds (``previous``) and only new sentences are tokenised; name folding is
    applied at build time from those words, because the clusters can change with any
    new document. SQLite FTS5 or tantivy would persist the postings, but neither can fold
    a cluster of spellings into one term with one document frequency, which the name
    matching relies on.
    """

    def __init__(
        self, texts: list[str], names: NameIndex, previous: LexicalIndex | None = None
    ) -> None:
        self.names = names
        self.size = len(texts)
        known = previous._words if previous is not None else {}
        self._words: dict[str, str] = {}
        corpus = []
        for t in texts:
            content = known.get(t)
            if content is None:
                content = " ".join(content_words(repair_text(t)))
            self._words[t] = content
            tokens = [word_key(low, names) for low in content.split()]
            corpus.append(tokens or ["<empty>"])
        self._bm25 = bm25s.BM25()
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def search(self, question: str, n: int) -> list[tuple[int, float]]:
        """(sentence position, BM25 score), best first; only positive scores."""
        tokens = lexical_tokens(question, self.names, fuzzy=True)
        if not tokens or self.size == 0:
            return []
        scores = np.asarray(self._bm25.get_scores(tokens))
        # The top n in linear time (argpartition), then only those sorted.
        top = np.argpartition(-scores, n)[:n] if len(scores) > n else np.arange(len(scores))
        order = top[np.lexsort((top, -scores[top]))]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
