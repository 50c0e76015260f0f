"""Hybrid retrieval at sentence granularity: Chroma (dense) + BM25 (lexical), fused by a
convex combination of their scores or by RRF (``retrieval.fusion``), then read by the
trained reader (:mod:`service.retrieval.reading`): the evidence is the reader's best
sentences of the candidate pool, and the answerer sees its probability for each."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from service.components.embeddings import Embedder
from service.index.catalog import DocumentFilter, Scope
from service.index.corpus import CorpusSnapshot, IndexState
from service.index.store import StoredSentence
from service.retrieval.evidence import Evidence, SentenceRef
from service.retrieval.fusion import Fused, LexicalScores, fuse, fuse_scores
from service.retrieval.reading import POOL_LIMIT, Reader, candidate_pool, read
from service.retrieval.scoped import lexical_within
from service.settings import RetrievalSettings


def to_ref(s: StoredSentence) -> SentenceRef:
    return SentenceRef(source=s.source, sentence=s.number, text=s.text, title=s.title)


class Similarities:
    """Cosine similarity of the question to a sentence, computed when asked for.

    The answerer looks at a few dozen candidates; scoring all sentences (a 2.7M x 384
    matrix product at 100k articles, ~0.3 s) for each question would be wasted work.
    """

    def __init__(self, snap: CorpusSnapshot, query: np.ndarray) -> None:
        self._snap = snap
        self._query = query
        self._known: dict[int, float] = {}

    def __getitem__(self, pos: int) -> float:
        got = self._known.get(pos)
        if got is None:
            got = self._known[pos] = float(np.dot(self._snap.vector(pos), self._query))
        return got

    def __len__(self) -> int:
        return len(self._snap.sentences)


@dataclass
class Candidates:
    """Each ranked list before fusion, as sentence positions, best first (None: a Chroma
    hit the snapshot does not hold yet; it keeps its rank)."""

    dense: list[int | None]
    lexical: list[int]
    bm25: LexicalScores  # the BM25 scores of the sentences the question's terms reach


@dataclass
class Retrieval:
    """Ranked evidence, and what the answerer needs to reason about it."""

    evidence: list[Evidence]
    snapshot: CorpusSnapshot
    query_vector: np.ndarray
    similarities: Similarities  # cosine similarity of the question to any sentence
    fused: dict[int, float]  # fused score by sentence position, for every candidate
    pool: list[int] = field(default_factory=list)  # the candidates that may answer
    reading: dict[int, float] = field(default_factory=dict)  # reader's P(answers) per pool item
    scope: Scope | None = None  # what the request's filter admits (None: no filter)

    @property
    def answerability(self) -> float | None:
        """The reader's best probability over the pool (None: no reader, or no candidate)."""
        return max(self.reading.values()) if self.reading else None


class HybridRetriever:
    def __init__(
        self,
        state: IndexState,
        embedder: Embedder,
        settings: RetrievalSettings,
        reader: Reader | None = None,
        read_limit: int = 8,
    ):
        self.state = state
        self.embedder = embedder
        self.settings = settings
        self.reader = reader
        self.read_limit = read_limit

    def retrieve(
        self, question: str, top_k: int | None = None, within: DocumentFilter | None = None
    ) -> Retrieval:
        """The evidence for ``question``, from the documents ``within`` admits (all
        without it): both ranked lists and the reader's pool are drawn from them."""
        snap = self.state.snapshot()
        k = top_k or self.settings.top_k
        depth = max(self.settings.candidates, k)
        scope = snap.catalog.scope(within) if within else None
        qvec = self.embedder.embed([question])[0]
        if scope is not None and scope.empty:
            return Retrieval([], snap, qvec, Similarities(snap, qvec), {}, scope=scope)
        # A filter that admits every document (a date range spanning the archive) ranks as
        # no filter does, and costs what no filter costs.
        cands = self.candidates(
            question, qvec, snap, depth, None if scope is not None and scope.whole else scope
        )
        sims = Similarities(snap, qvec)
        fused = self.fuse(cands, sims, snap)
        pool = candidate_pool(question, fused.scores, snap, sims.__getitem__, POOL_LIMIT, scope)
        reading = (
            read(self.reader, question, pool[: self.read_limit], snap)
            if self.reader is not None
            else {}
        )
        if reading:  # the read sentences in the reader's order, then the rest as fused
            ranked = sorted(
                pool, key=lambda p: (-reading.get(p, -1.0), -fused.scores.get(p, 0.0), p)
            )[:k]
        else:
            ranked = fused.top(k)
        evidence = []
        for pos in ranked:
            before, after = snap.around(pos, self.settings.neighbours)
            evidence.append(
                Evidence(
                    ref=to_ref(snap.sentences[pos]),
                    score=fused.scores.get(pos, 0.0),
                    dense=float(sims[pos]),
                    rank_dense=fused.rank_dense.get(pos),
                    rank_lexical=fused.rank_lexical.get(pos),
                    answers=reading.get(pos),
                    before=tuple(to_ref(s) for s in before),
                    after=tuple(to_ref(s) for s in after),
                )
            )
        return Retrieval(evidence, snap, qvec, sims, fused.scores, pool, reading, scope)

    def candidates(
        self,
        question: str,
        qvec: np.ndarray,
        snap: CorpusSnapshot,
        depth: int,
        scope: Scope | None = None,
    ) -> Candidates:
        """The dense and lexical (BM25) lists, ``depth`` deep each (dense: exact from the
        snapshot's vectors, or Chroma's index above ``retrieval.exact_dense_max``), of
        ``scope``'s sentences when a filter gave one."""
        dense = self.state.dense(snap, qvec, depth, scope)
        hits = snap.lexical.hits(question)
        dense_positions = [snap.position.get((source, number)) for source, number, _ in dense]
        if scope is None:
            return Candidates(dense_positions, [pos for pos, _ in hits.top(depth)], hits)
        lexical, scores = lexical_within(hits, scope, depth)
        return Candidates(dense_positions, lexical, scores)

    def fuse(self, cands: Candidates, sims: Similarities, snap: CorpusSnapshot) -> Fused:
        """The configured fusion of the candidates (``retrieval.fusion``)."""
        match self.settings.fusion:
            case "convex":
                return fuse_scores(
                    cands.dense,
                    cands.lexical,
                    sims.__getitem__,
                    cands.bm25,
                    lambda pos: adjacent(snap, pos),
                    self.settings,
                )
            case "rrf":
                return fuse(cands.dense, cands.lexical, self.settings)
            case other:
                raise ValueError(f"unknown retrieval.fusion {other!r}")


def adjacent(snap: CorpusSnapshot, pos: int) -> list[int]:
    """The positions just before and after ``pos`` within its document."""
    source = snap.sentences[pos].source
    return [
        p
        for p in (pos - 1, pos + 1)
        if 0 <= p < len(snap.sentences) and snap.sentences[p].source == source
    ]
