"""The in-memory exact dense search finds what Chroma's index finds."""

from __future__ import annotations

from typing import Any

import pytest

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


def test_above_the_exact_limit_chromas_index_is_loaded_before_ready(
    corpus_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chroma loads its HNSW index at the first query (seconds at scale, past a call's
    timeout on a server): the service queries once at start-up, retrying while it loads."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.index.errors import IndexUnavailable
    from service.index.store import IndexStore

    calls: list[int] = []
    real_query = IndexStore.query

    def slow_to_load(store: IndexStore, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) < 3:  # as a server does while it loads the index: the call times out
            raise IndexUnavailable("timed out")
        return real_query(store, *args, **kwargs)

    monkeypatch.setattr(IndexStore, "query", slow_to_load)
    settings = corpus_index.model_copy(
        update={"retrieval": corpus_index.retrieval.model_copy(update={"exact_dense_max": 0})}
    )
    with TestClient(create_app(settings)) as client:
        assert len(calls) == 3  # before any request: two "timeouts", then loaded
        assert client.get("/ready").status_code == 200
        r = client.post("/ask", json={"question": QUESTIONS[1]})
        assert r.status_code == 200 and len(calls) == 4  # the question's own query
