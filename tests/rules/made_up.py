"""A small made-up corpus for the rule tests: invented people and places, so no rule is
checked against (or fitted to) the seed articles."""

from __future__ import annotations

import numpy as np

from service.index.corpus import CorpusSnapshot
from service.index.lexical import LexicalIndex
from service.index.store import StoredSentence
from service.language.names import NameIndex
from service.retrieval.evidence import Evidence, SentenceRef
from service.retrieval.hybrid import Retrieval
from service.retrieval.reading import candidate_pool

SENTENCES = [
    ("a.txt", 0, "Mayor Halvorsen said the Brindle bridge would reopen in March."),
    ("a.txt", 0, "He added that the repairs cost four million crowns."),
    ("a.txt", 1, "Engineers from Tarvik inspected the bridge on Tuesday."),
    ("b.txt", 0, "Councillor Okonkwo praised the engineers in a statement."),
    ("b.txt", 0, "Residents of Tarvik waited for the ferry."),
    ("b.txt", 1, "The ferry company Nordlys was founded by Okonkwo's family."),
]


def snapshot() -> CorpusSnapshot:
    stored = []
    numbers: dict[str, int] = {}
    for source, paragraph, text in SENTENCES:
        numbers[source] = numbers.get(source, 0) + 1
        stored.append(StoredSentence(source, numbers[source], text, 0, len(text), None, paragraph))
    texts = [s.text for s in stored]
    names = NameIndex.build(texts, 80.0)
    return CorpusSnapshot(
        fingerprint=(),
        documents={},
        sentences=stored,
        vectors=np.eye(len(stored), dtype=np.float32),
        position={(s.source, s.number): i for i, s in enumerate(stored)},
        names=names,
        lexical=LexicalIndex(texts, names),
        built_at=0.0,
    )


def retrieval(
    snap: CorpusSnapshot,
    hits: dict[int, float],
    question: str = "",
    reading: dict[int, float] | None = None,
) -> Retrieval:
    """Evidence at the given positions with the given dense similarity, in that order; the
    candidate pool as the retriever makes it for ``question``; ``reading``: the reader's
    probabilities (none: no reader)."""

    def ref(i: int) -> SentenceRef:
        s = snap.sentences[i]
        return SentenceRef(s.source, s.number, s.text)

    evidence = [Evidence(ref(i), 1.0 / (1 + n), dense=d) for n, (i, d) in enumerate(hits.items())]
    sims = np.zeros(len(snap.sentences), dtype=np.float32)
    for i, d in hits.items():
        sims[i] = d
    fused = {i: 1.0 / (1 + n) for n, i in enumerate(hits)}
    pool = candidate_pool(question, fused, snap, lambda p: float(sims[p]), 40)
    return Retrieval(
        evidence, snap, np.zeros(3, dtype=np.float32), sims, fused, pool, reading or {}
    )
