"""Shared fixtures: real Chroma in temporary folders, real embeddings, the real app."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.pipeline import DocumentMeta, Ingester
from service.app import create_app
from service.components.embeddings import make_embedder
from service.index.store import IndexStore, make_client
from service.language.entities import make_tagger
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "articles"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for an index of its own under ``data_dir`` (embedded Chroma)."""
    base: dict[str, object] = {
        "data": {"dir": data_dir, "corpus_dir": CORPUS},
        "chroma": {"mode": "embedded", "path": data_dir / "chroma"},
        "llm": {"base_url": None, "api_key": None},
        "answer": {"mode": "extractive"},
    }
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


def make_ingester(settings: Settings) -> Ingester:
    embedder = make_embedder(settings.embedding, settings.llm)
    store = IndexStore(make_client(settings), settings.chroma.collection, embedder.name)
    return Ingester(store, embedder, settings.ingest, make_tagger(settings.language))


# A hand-made archive: source -> (its sentences, its URL, its date).
Archive = dict[str, tuple[list[str], str, str]]


def article_text(heading: str, sentences: list[str]) -> bytes:
    """A plain-text article: a heading line, then paragraphs of three sentences."""
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    return (heading + "\n\n" + "\n\n".join(paragraphs) + "\n").encode()


def indexed_archive(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    archive: Archive,
    text_of: Callable[[list[str]], bytes],
) -> Settings:
    """Settings of a fresh index of ``archive`` (each document's text from ``text_of``,
    its URL and date as a feed or POST /documents gives them)."""
    settings = make_settings(tmp_path_factory.mktemp(name))
    ingester = make_ingester(settings)
    for source, (sentences, url, date) in archive.items():
        ingester.ingest_bytes(source, text_of(sentences), DocumentMeta(url=url, date=date))
    return settings


def served_archive(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    archive: Archive,
    text_of: Callable[[list[str]], bytes],
) -> Iterator[TestClient]:
    """The app over a fresh index of ``archive`` (:func:`indexed_archive`)."""
    with TestClient(create_app(indexed_archive(tmp_path_factory, name, archive, text_of))) as c:
        yield c


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The default corpus indexed once for the session; tests must not change it."""
    settings = make_settings(tmp_path_factory.mktemp("index"))
    summary = make_ingester(settings).ingest_paths(sorted(CORPUS.glob("*.txt")))
    assert summary.count("failed") == 0, summary.line()
    return settings


@pytest.fixture(scope="session")
def client(corpus_index: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(corpus_index)) as c:
        yield c


@pytest.fixture()
def scratch(tmp_path: Path) -> Settings:
    """An empty index of the test's own, for tests that write."""
    return make_settings(tmp_path)


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the default corpus."""
    dest = tmp_path / "articles"
    shutil.copytree(CORPUS, dest)
    return dest
