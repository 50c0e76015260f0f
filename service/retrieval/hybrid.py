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


@dataclass
class Retrieval:
    """Ranked evidence, and what the answerer needs to reason about it."""

    evidence: list[Evidence]
    snapshot: CorpusSnapshot
    query_vector: np.ndarray
    similarities: np.ndarray  # cosine similarity of the question to every sentence
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
        sims = snap.vectors @ qvec if len(snap.sentences) else np.zeros(0, dtype=np.float32)

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
