"""The in-memory exact dense search finds what Chroma's index finds."""

from __future__ import annotations

from typing import Any

import pytest

from service.components.embeddings import make_embedder
from service.index.corpus import IndexState
from service.settings import Settings
from tests.conftest import CORPUS, make_ingester

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


def test_the_hnsw_search_depth_is_set_on_the_collection_before_its_first_query(
    scratch: Settings,
) -> None:
    """retrieval.hnsw_ef_search reaches Chroma's collection (every client of it searches
    alike) before the start-up query loads the index; answers stay the exact ones."""
    from service.container import Container
    from service.index.store import IndexStore

    make_ingester(scratch).ingest_paths(sorted(CORPUS.glob("*.txt"))[:2])
    settings = scratch.model_copy(
        update={
            "retrieval": scratch.retrieval.model_copy(
                update={"exact_dense_max": 0, "hnsw_ef_search": 777}
            )
        }
    )
    state = Container(settings).state()
    state.warm_dense(state.snapshot())
    reopened = make_ingester(settings).store  # a new client reads the stored configuration
    assert isinstance(reopened, IndexStore)
    hnsw = dict((reopened.vectors.configuration or {}).get("hnsw") or {})
    assert hnsw["ef_search"] == 777 and hnsw["space"] == "cosine"
    exact = IndexState(reopened, 80.0, 60.0, exact_dense_max=10**6)
    snap = exact.snapshot()
    embedder = make_embedder(settings.embedding, settings.llm)
    for question in QUESTIONS:
        vector = embedder.embed([question])[0]
        mine = [(s, n) for s, n, _ in exact.dense(snap, vector, 10)]
        assert [(s, n) for s, n, _ in state.dense(snap, vector, 10)] == mine
