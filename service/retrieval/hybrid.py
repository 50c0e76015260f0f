"""Hybrid retrieval at sentence granularity: Chroma (dense) + BM25 (lexical), fused by RRF."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.components.embeddings import Embedder
from service.index.corpus import CorpusSnapshot, IndexState
from service.index.store import StoredSentence
from service.retrieval.evidence import Evidence, SentenceRef
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

        fused: dict[int, float] = {}
        rank_dense: dict[int, int] = {}
        rank_lexical: dict[int, int] = {}
        c = self.settings.rrf_k
        for rank, (source, number, _sim) in enumerate(dense, start=1):
            pos = snap.position.get((source, number))
            if pos is None:
                continue  # the snapshot is a moment older than Chroma
            rank_dense[pos] = rank
            fused[pos] = fused.get(pos, 0.0) + self.settings.dense_weight / (c + rank)
        for rank, (pos, _score) in enumerate(lexical, start=1):
            rank_lexical[pos] = rank
            fused[pos] = fused.get(pos, 0.0) + self.settings.lexical_weight / (c + rank)

        ranked = sorted(fused, key=lambda p: (-fused[p], p))[:k]
        evidence = []
        for pos in ranked:
            before, after = snap.around(pos, self.settings.neighbours)
            evidence.append(
                Evidence(
                    ref=to_ref(snap.sentences[pos]),
                    score=fused[pos],
                    dense=float(sims[pos]),
                    rank_dense=rank_dense.get(pos),
                    rank_lexical=rank_lexical.get(pos),
                    before=tuple(to_ref(s) for s in before),
                    after=tuple(to_ref(s) for s in after),
                )
            )
        return Retrieval(evidence, snap, qvec, sims, fused)
