"""BM25 over sentences on the stems of their content words, kept up to date document by
document.

Why not bm25s any more: bm25s builds its index over every sentence at once, so any new
document meant re-indexing every sentence (at 1,000 articles, 17.7k sentences, load ~9 on
2 cores: 0.65-1.1 s per refresh for the lexical index alone, growing with the archive:
~100 s at 2.7M sentences). SQLite FTS5 or tantivy would keep postings on disk, but the
scores here are used whole (``scores``, for score fusion) and in-process scipy arithmetic
over a question's few postings is as fast as the bm25s it replaces (0.4-0.7 ms per question
at 17.7k sentences), with no second store to keep in step with Chroma.

So the index is a sparse text × stem count matrix (scipy, CSC: a stem's postings are one
slice), scored with bm25s' "lucene" formula (same k1, b and idf as before, so the same
scores). Rows are distinct texts, not sentences (``service.index.carriers``): a sentence
many articles carry (wire copy, a standard line) is one row, tokenised and scored once,
and its hit stands for every sentence carrying it. The scores are those of an index over
every sentence: a term's document frequency counts sentences, the length normaliser is the
sentence's (the same for every carrier of a text). At 100k synthetic articles (1.77M
sentences, ~28k distinct texts), the sentence rows' postings made BM25 over half of
``/ask``'s time, and the rows kept per document for the next build 424 MB of the
snapshot file. A refresh tokenises only texts the previous index lacks (found by their
keys) and copies the other rows in C. A question costs its terms' postings, not a pass
over sentences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from service.index.carriers import Carriers, locate
from service.index.top import top_n
from service.language.keys import stem_tokens
from service.language.names import NameIndex
from service.language.text import repair_text

K1, B = 1.5, 0.75  # bm25s' defaults, which this index used before


class LexicalIndex:
    """A BM25 index of one snapshot of the corpus (see the module docstring).

    ``names`` does not shape the tokens (plain stems: see ``keys.stem_tokens``); it stays
    in the signature (and as ``self.names``) for the snapshot builder. ``carriers``: which
    distinct text each of ``texts`` is (the snapshot's, one vector per text); without
    it, each sentence is a text of its own. ``keys``: each distinct text's key, sorted
    (the snapshot's ``vector_keys``): a text whose key ``previous`` holds is not tokenised
    again, its row is copied in C.
    """

    def __init__(
        self,
        texts: Sequence[str],
        names: NameIndex,
        previous: LexicalIndex | None = None,
        carriers: Carriers | None = None,
        keys: np.ndarray | None = None,
    ) -> None:
        self.names = names
        self.size = len(texts)
        self.carriers = carriers if carriers is not None else Carriers.one_each(len(texts))
        if len(self.carriers.text_of) != self.size:
            raise ValueError(f"{len(self.carriers.text_of)} carriers for {self.size} texts")
        count = self.carriers.texts
        self._keys = keys if keys is not None and len(keys) == count else None
        # Term -> id; only grows and is shared by successive indexes (a query clips ids to
        # its own matrix, so terms added later are never read through an older index).
        self._vocab: dict[str, int] = previous._vocab if previous is not None else {}
        reuse = self._reusable(previous)
        first = self.carriers.first()
        fresh = np.flatnonzero((reuse < 0) & (first >= 0))
        kept = np.flatnonzero(reuse >= 0)
        new_rows, new_lengths = self._tokenise([texts[i] for i in first[fresh]])
        width = len(self._vocab)
        parts = [new_rows]
        order = np.full(count, -1, dtype=np.int64)  # each text's row in the stacked parts
        order[fresh] = np.arange(len(fresh))
        lengths = np.zeros(count, dtype=np.float32)
        lengths[fresh] = new_lengths
        if previous is not None and len(kept):
            old = previous._matrix.tocsr()[reuse[kept]]
            parts.append(sparse.csr_matrix((old.data, old.indices, old.indptr), (len(kept), width)))
            order[kept] = len(fresh) + np.arange(len(kept))
            lengths[kept] = previous._lengths[reuse[kept]]
        # A text no sentence carries gets an empty row (the stacked parts' extra one).
        order[order < 0] = len(fresh) + len(kept)
        parts.append(sparse.csr_matrix((1, width), dtype=np.float32))
        self._lengths: np.ndarray = lengths  # tokens per text
        self._assemble(sparse.vstack(parts, format="csr", dtype=np.float32)[order])

    def _reusable(self, previous: LexicalIndex | None) -> np.ndarray:
        """For each text, its row in ``previous`` (-1: none, tokenise it)."""
        out = np.full(self.carriers.texts, -1, dtype=np.int64)
        old = previous._keys if previous is not None else None
        if self._keys is None or old is None or not len(old) or not len(self._keys):
            return out
        at, held = locate(old, self._keys)
        out[held] = at[held]
        return out

    def __getstate__(self) -> dict[str, object]:
        """For the snapshot file, written from a thread of its own while a refresh may add
        terms to the shared vocabulary: pickle a copy (``dict`` copies it in one step
        under the GIL, so never half-updated)."""
        state = self.__dict__.copy()
        state["_vocab"] = dict(self._vocab)
        return state

    def _term_id(self, term: str) -> int:
        i = self._vocab.get(term)
        if i is None:
            i = self._vocab[term] = len(self._vocab)
        return i

    def _tokenise(self, texts: Sequence[str]) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Rows of term counts for ``texts`` (CSR), and their lengths in tokens (at least 1,
        as bm25s' "<empty>" token)."""
        nnz, ids, counts, lengths = [0], [], [], []
        for text in texts:
            tokens = stem_tokens(repair_text(text))
            unique, count = np.unique(
                np.fromiter((self._term_id(t) for t in tokens), dtype=np.int64),
                return_counts=True,
            )
            nnz.append(len(unique))
            ids.append(unique)
            counts.append(count)
            lengths.append(max(len(tokens), 1))
        rows = sparse.csr_matrix(
            (
                np.concatenate(counts).astype(np.float32) if counts else np.zeros(0, np.float32),
                np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64),
                np.cumsum(nnz),
            ),
            shape=(len(texts), len(self._vocab)),
        )
        return rows, np.asarray(lengths, dtype=np.float32)

    def _assemble(self, rows: sparse.csr_matrix) -> None:
        """The text × term count matrix (CSC: a term's postings are one slice), each
        term's sentence frequency and each text's length normaliser."""
        width = len(self._vocab)
        carried = self.carriers.counts()
        # In how many sentences each term occurs (a text holds a term once, and stands
        # for each sentence carrying it): BM25's idf.
        self._df = np.bincount(
            rows.indices, weights=np.repeat(carried, np.diff(rows.indptr)), minlength=width
        ).astype(np.int64)
        self._matrix = sparse.csc_matrix(rows, shape=(self.carriers.texts, width))
        if self.size == 0:
            self._norm = np.zeros(self.carriers.texts, dtype=np.float32)
            return
        # The mean over sentences, in sentence order, as an index over every sentence
        # takes it (float32 sums depend on their order), then each text's normaliser.
        mean = self._lengths[self.carriers.text_of].mean()
        self._norm = (K1 * (1 - B + B * self._lengths / mean)).astype(np.float32)

    def _hits(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """(texts, BM25 score) of the texts that share a term with ``question``."""
        width = self._matrix.shape[1]
        ptr, rows, data = self._matrix.indptr, self._matrix.indices, self._matrix.data
        hit_rows, hit_scores = [], []
        for term in stem_tokens(question):  # a repeated term counts again, as in bm25s
            i = self._vocab.get(term)
            if i is None or i >= width or ptr[i] == ptr[i + 1]:
                continue
            where, tf = rows[ptr[i] : ptr[i + 1]], data[ptr[i] : ptr[i + 1]]
            df = int(self._df[i])
            idf = math.log(1 + (self.size - df + 0.5) / (df + 0.5))
            hit_rows.append(where)
            hit_scores.append(idf * tf / (tf + self._norm[where]))
        if not hit_rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        # Sum each text's terms: each term's postings are sorted, so a stable sort
        # (timsort) of their concatenation merges runs (5 ms for 285k postings, against
        # 23 ms for np.unique's quicksort), and keeps the terms' order within a text, so
        # the float64 sums are the ones np.bincount gave.
        rows = np.concatenate(hit_rows)
        order = np.argsort(rows, kind="stable")
        rows = rows[order]
        scores = np.concatenate(hit_scores).astype(np.float64)[order]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        return rows[starts], np.add.reduceat(scores, starts)

    def hits(self, question: str) -> LexicalHits:
        """The BM25 scores of the sentences that share a term with ``question``: the
        query path's form, whose cost follows the question's postings, not the corpus
        (a full array of every sentence's score, and a top-n over it, cost ~14 ms per
        question at 1.8M sentences, half the latency budget)."""
        if self.size == 0:
            none = np.zeros(0, dtype=np.int64)
            return LexicalHits(none, np.zeros(0, dtype=np.float32), self.carriers)
        texts, scores = self._hits(question)
        return LexicalHits(texts, scores.astype(np.float32), self.carriers)

    def scores(self, question: str) -> np.ndarray:
        """The BM25 score of every sentence position for ``question`` (zeros: no term)."""
        hits = self.hits(question)
        by_text = np.zeros(self.carriers.texts, dtype=np.float32)
        by_text[hits.texts] = hits.scores
        return by_text[self.carriers.text_of]

    def search(self, question: str, n: int) -> list[tuple[int, float]]:
        """(sentence position, BM25 score), best first; only positive scores. Reads only
        the sentences that share a term with the question."""
        return self.hits(question).top(n)


@dataclass(frozen=True)
class LexicalHits:
    """BM25 scores of the texts a question's terms reach, standing for every sentence
    that carries them; every other sentence scores 0. Scores are float32, as in
    :meth:`LexicalIndex.scores`, so both forms rank alike."""

    texts: np.ndarray  # distinct-text indices, ascending
    scores: np.ndarray  # their BM25 scores
    carriers: Carriers

    def top(self, n: int) -> list[tuple[int, float]]:
        """The best ``n`` sentences as (position, score), best first (ties: earlier
        position). The texts above the ``n``-th best text's score, and of those tied with
        it the ``n`` whose first sentence comes earliest (only they can hold one of the
        ``n`` earliest tied positions), then their sentences."""
        if n <= 0 or not len(self.texts):
            return []
        chosen = top_n(self.scores, n)
        cut = self.scores[chosen[-1]]
        above = np.flatnonzero(self.scores > cut)
        tied = np.flatnonzero(self.scores == cut)
        if len(tied) > n:
            first = self.carriers.bounds[self.texts[tied]]
            tied = tied[np.argsort(self.carriers.order[first], kind="stable")[:n]]
        picked = np.concatenate([above, tied])
        picked = picked[self.scores[picked] > 0]
        return self.carriers.rank(self.texts[picked], self.scores[picked], n)

    def max(self) -> float:
        return float(self.scores.max()) if len(self.scores) else 0.0

    def __len__(self) -> int:
        """How many sentences score above 0."""
        bounds = self.carriers.bounds
        return int((bounds[self.texts + 1] - bounds[self.texts]).sum())

    def __getitem__(self, pos: Any) -> Any:
        """The score at a sentence position (a float), or at an array of positions (a
        float32 array), 0 where no term reaches: what indexing an array of every score
        gives."""
        at = np.asarray(pos)
        if not len(self.texts):
            return 0.0 if at.ndim == 0 else np.zeros(at.shape, dtype=np.float32)
        i, hit = locate(self.texts, self.carriers.text_of[at])
        got = np.where(hit, self.scores[i], np.float32(0))
        return float(got) if at.ndim == 0 else got


def best(scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The top ``n`` positive scores as (position, score), best first (ties: earlier)."""
    if not scores.any():
        return []
    return [(int(i), float(scores[i])) for i in top_n(scores, n) if scores[i] > 0]
