"""Fixtures for the deployment tests: a real `chroma run` server and a shared model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.pipeline import Ingester
from service.components.embeddings import Embedder, make_embedder
from service.index.store import IndexStore, make_client
from service.settings import Settings

from .support import CORPUS, ChromaServer, base_settings


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """One Chroma server for the session; tests use collections of their own on it."""
    base = tmp_path_factory.mktemp("chroma-server")
    server = ChromaServer(base / "data", base / "chroma.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def own_chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A Chroma server for one test that stops, pauses or restarts it."""
    server = ChromaServer(tmp_path / "chroma-data", tmp_path / "chroma.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """One loaded embedding model for every in-process app of the session."""
    return make_embedder(Settings().embedding, Settings().llm)


@pytest.fixture(scope="session")
def indexed(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """The five articles indexed once in embedded Chroma; tests must not write to it."""
    settings = base_settings(tmp_path_factory.mktemp("deploy-index"))
    store = IndexStore(make_client(settings), settings.chroma.collection, embedder.name)
    summary = Ingester(store, embedder, settings.ingest).ingest_paths(sorted(CORPUS.glob("*.txt")))
    assert summary.count("added") == 5, summary.line()
    return settings
