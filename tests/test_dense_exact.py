"""The in-memory exact dense search finds what Chroma's index finds."""

from __future__ import annotations

from service.components.embeddings import make_embedder
from service.index.corpus import IndexState
from service.settings import Settings
from tests.conftest import make_ingester

QUESTIONS = [
    "What did Witkoff do in Moscow?",
    "Who controls Pokrovsk?",
    "What is the most difficult point in the peace plan?",
]


def test_exact_search_matches_chromas_nearest_sentences(corpus_index: Settings) -> None:
    store = make_ingester(corpus_index).store
    exact = IndexState(store, 80.0, 60.0, exact_dense_max=10**6)
    via_chroma = IndexState(store, 80.0, 60.0, exact_dense_max=0)
    snap = exact.snapshot()
    embedder = make_embedder(corpus_index.embedding, corpus_index.llm)
    for question in QUESTIONS:
        vector = embedder.embed([question])[0]
        mine = exact.dense(snap, vector, 10)
        theirs = via_chroma.dense(snap, vector, 10)
        assert [(s, n) for s, n, _ in mine] == [(s, n) for s, n, _ in theirs]
        for (_, _, a), (_, _, b) in zip(mine, theirs, strict=True):
            assert abs(a - b) < 1e-4
        assert [sim for *_, sim in mine] == sorted((sim for *_, sim in mine), reverse=True)
