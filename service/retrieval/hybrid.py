"""Hybrid retrieval at sentence granularity: Chroma (dense) + BM25 (lexical), fused by RRF
(``retrieval.fusion``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.components.embeddings import Embedder
from service.index.corpus import CorpusSnapshot, IndexState
from service.index.store import StoredSentence
from service.retrieval.evidence import Evidence, SentenceRef
from service.retrieval.fusion import fuse
from service.settings import RetrievalSettings


def to_ref(s: StoredSentence) -> SentenceRef:
    return SentenceRef(source=s.source, sentence=s.number, text=s.text, title=s.title)


class Similarities:
    """Cosine similarity of the question to a sentence, computed when asked for.

    The answerer looks at a few dozen candidates; scoring all sentences (a 2.7M x 384
    matrix product at 100k articles, ~0.3 s) for each question would be wasted work.
    """

    def __init__(self, vectors: np.ndarray, query: np.ndarray) -> None:
        self._vectors = vectors
        self._query = query
        self._known: dict[int, float] = {}

    def __getitem__(self, pos: int) -> float:
        got = self._known.get(pos)
        if got is None:
            got = self._known[pos] = float(np.dot(self._vectors[pos], self._query))
        return got

    def __len__(self) -> int:
        return len(self._vectors)


@dataclass
class Retrieval:
    """Ranked evidence, and what the answerer needs to reason about it."""

    evidence: list[Evidence]
    snapshot: CorpusSnapshot
    query_vector: np.ndarray
    similarities: Similarities  # cosine similarity of the question to any sentence
    fused: dict[int, float]  # fused score by sentence position, for every candidate


class HybridRetriever:
    def __init__(self, state: IndexState, embedder: Embedder, settings: RetrievalSettings):
        self.state = state
        self.embedder = embedder
        self.settings = settings

    def retrieve(self, question: str, top_k: int | None = None) -> Retrieval:
        snap = self.state.snapshot()
        k = top_k or self.settings.top_k
        depth = max(self.settings.candidates, k)
        qvec = self.embedder.embed([question])[0]
        dense = self.state.store.query(qvec, depth, snap.documents)
        lexical = snap.lexical.search(question, depth)
        sims = Similarities(snap.vectors, qvec)

        fused = fuse(
            [snap.position.get((source, number)) for source, number, _sim in dense],
            [pos for pos, _score in lexical],
            self.settings,
        )
        ranked = fused.top(k)
        evidence = []
        for pos in ranked:
            before, after = snap.around(pos, self.settings.neighbours)
            evidence.append(
                Evidence(
                    ref=to_ref(snap.sentences[pos]),
                    score=fused.scores[pos],
                    dense=float(sims[pos]),
                    rank_dense=fused.rank_dense.get(pos),
                    rank_lexical=fused.rank_lexical.get(pos),
                    before=tuple(to_ref(s) for s in before),
                    after=tuple(to_ref(s) for s in after),
                )
            )
        return Retrieval(evidence, snap, qvec, sims, fused.scores)
