"""The spaCy NER tagger, and entity labels stored with sentences: written at ingest, read
back into the snapshot, cached by content, and absent (unknown) in an older index."""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import Ingester
from service.components.embeddings import make_embedder
from service.components.entity_cache import CachedTagger, EntityLabelCache
from service.index.corpus import CorpusSnapshot
from service.index.store import IndexStore, make_client
from service.language.entities import EntityTagger, SpacyTagger, expected_labels, make_tagger
from service.settings import Settings
from tests.conftest import make_settings

ARTICLE = (
    "Bridge works in Tarvik\n\n"
    "Mayor Ingrid Halvorsen said on 3 March 2021 that the Brindle bridge would reopen.\n\n"
    "The repairs cost four million crowns, according to the council of Tarvik.\n\n"
    "The engineers worked quietly.\n"
)


class CountingTagger:
    """Wraps the real tagger and records what it was asked to tag."""

    def __init__(self, inner: EntityTagger) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls: list[list[str]] = []

    def labels(self, texts: list[str]) -> list[frozenset[str]]:
        self.calls.append(list(texts))
        return self.inner.labels(texts)


def _ingester(settings: Settings, tagger: EntityTagger | None) -> Ingester:
    embedder = make_embedder(settings.embedding, settings.llm)
    store = IndexStore(make_client(settings), settings.chroma.collection, embedder.name)
    return Ingester(store, embedder, settings.ingest, tagger)


def test_the_tagger_finds_a_person_and_a_date() -> None:
    got = SpacyTagger().labels(
        ["Angela Merkel visited the factory on 12 May 2019.", "It was quiet.", ""]
    )
    assert {"PERSON", "DATE"} <= got[0]
    assert got[1] == frozenset() and got[2] == frozenset()


def test_the_tagger_loads_only_its_ner_component() -> None:
    assert SpacyTagger().load().pipe_names == ["ner"]


def test_labels_are_stored_and_read_back_into_the_snapshot(scratch: Settings) -> None:
    ingester = _ingester(scratch, make_tagger(scratch.language))
    ingester.ingest_bytes("tarvik.txt", ARTICLE.encode())
    snap = CorpusSnapshot.build(ingester.store, 80.0)
    by_text = {s.text: i for i, s in enumerate(snap.sentences)}
    said = next(i for t, i in by_text.items() if t.startswith("Mayor Ingrid Halvorsen"))
    cost = next(i for t, i in by_text.items() if t.startswith("The repairs cost"))
    quiet = by_text["The engineers worked quietly."]
    assert {"PERSON", "DATE"} <= (snap.entity_labels[said] or set())
    assert snap.entity_labels[quiet] == frozenset()  # tagged: no entity
    when = expected_labels("When will the bridge reopen?")
    assert when is not None
    assert snap.holds_entity(said, when) is True
    assert snap.holds_entity(quiet, when) is False
    assert snap.holds_entity(cost, expected_labels("How much did it cost?") or set()) is True


def test_an_index_without_labels_loads_and_answers(scratch: Settings) -> None:
    """An index written before labels were stored (no tagger: no label metadata) still
    builds a snapshot, with every label unknown, and /ask answers from it."""
    from fastapi.testclient import TestClient

    from service.app import create_app

    ingester = _ingester(scratch, None)
    ingester.ingest_bytes("tarvik.txt", ARTICLE.encode())
    snap = CorpusSnapshot.build(ingester.store, 80.0)
    assert snap.sentences and all(labels is None for labels in snap.entity_labels)
    assert snap.holds_entity(0, frozenset({"PERSON"})) is None
    with TestClient(create_app(scratch)) as client:
        got = client.post("/ask", json={"question": "When will the Brindle bridge reopen?"})
    assert got.status_code == 200, got.text
    cited = " ".join(c["text"] for c in got.json()["citations"])
    assert "reopen" in cited


def test_a_warm_reingest_tags_only_new_sentences(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    counting = CountingTagger(SpacyTagger())
    cached = CachedTagger(counting, EntityLabelCache(tmp_path / "cache.sqlite3"))
    ingester = _ingester(settings, cached)
    ingester.ingest_bytes("tarvik.txt", ARTICLE.encode())
    assert len(counting.calls) == 1 and len(counting.calls[0]) == 3  # the title is no sentence
    edited = ARTICLE + "\nThe ferry from Oslo resumed on Friday.\n"
    assert ingester.ingest_bytes("tarvik.txt", edited.encode()).status == "replaced"
    assert counting.calls[1] == ["The ferry from Oslo resumed on Friday."]
    snap = CorpusSnapshot.build(ingester.store, 80.0)
    assert all(labels is not None for labels in snap.entity_labels)
