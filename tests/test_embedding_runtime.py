"""The ONNX embedder gives the torch model's vectors; the cache embeds each sentence once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ingest.pipeline import Ingester
from service.components.embedding_cache import CachedEmbedder, EmbeddingCache, make_cached
from service.components.embeddings import make_embedder
from service.index.store import IndexStore, make_client
from service.settings import Settings
from tests.conftest import CORPUS, make_settings

SENTENCES = [
    "Witkoff met Putin in Moscow on Tuesday.",
    "Kyiv's priorities were not discussed, Zelensky said.",
    "A short one.",
    "The talks lasted five hours and ended without a joint statement, officials said.",
]


def test_onnx_vectors_match_the_torch_model(tmp_path: Path) -> None:
    onnx = make_settings(tmp_path).embedding
    torch = onnx.model_copy(update={"backend": "torch"})
    a = make_embedder(onnx, Settings().llm).embed(SENTENCES)
    b = make_embedder(torch, Settings().llm).embed(SENTENCES)
    assert a.shape == b.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float((a * b).sum(axis=1).min()) > 0.9999


def test_one_question_embeds_like_a_batch(tmp_path: Path) -> None:
    """Padding to the batch's longest row must not change a short sentence's vector."""
    embedder = make_embedder(make_settings(tmp_path).embedding, Settings().llm)
    batch = embedder.embed(SENTENCES)
    alone = embedder.embed([SENTENCES[2]])[0]
    assert float(np.dot(batch[2], alone)) > 0.9999


class CountingEmbedder:
    """Wraps the real embedder and records what it was asked to embed."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[attr-defined]
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.embed(texts)  # type: ignore[attr-defined,no-any-return]


def test_cache_returns_stored_vectors_and_embeds_only_misses(tmp_path: Path) -> None:
    real = make_embedder(make_settings(tmp_path).embedding, Settings().llm)
    counting = CountingEmbedder(real)
    cached = CachedEmbedder(counting, EmbeddingCache(tmp_path / "cache.sqlite3"))
    first = cached.embed(SENTENCES)
    assert counting.calls == [SENTENCES]
    again = CachedEmbedder(counting, EmbeddingCache(tmp_path / "cache.sqlite3"))  # reopened
    second = again.embed([*SENTENCES, "A sentence never seen.", SENTENCES[0]])
    assert counting.calls[-1] == ["A sentence never seen."]
    assert np.array_equal(second[: len(SENTENCES)], first)
    assert np.array_equal(second[-1], first[0])
    assert (again.stats.hits, again.stats.misses) == (len(SENTENCES) + 1, 1)


def test_reingesting_an_edited_article_embeds_only_changed_sentences(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    real = make_embedder(settings.embedding, settings.llm)
    counting = CountingEmbedder(real)
    store = IndexStore(make_client(settings), settings.chroma.collection, real.name)
    ingester = Ingester(store, make_cached(counting, settings), settings.ingest)
    article = sorted(CORPUS.glob("*.txt"))[0]
    folder = tmp_path / "corpus"
    folder.mkdir()
    copy = folder / article.name
    copy.write_bytes(article.read_bytes())
    first = ingester.ingest_paths([copy])
    assert first.cache_hits == 0 and first.embedded and first.embedded > 10
    assert "from cache" in first.line()

    edited = "Correction: an editor added this sentence at the top of the story.\n\n"
    copy.write_text(edited + article.read_text(encoding="utf-8"), encoding="utf-8")
    second = ingester.ingest_paths([copy])
    assert second.count("replaced") == 1
    assert second.embedded == 1, second.line()
    assert second.cache_hits == first.embedded
    assert counting.calls[-1] == [
        "Correction: an editor added this sentence at the top of the story."
    ]
