"""A content-addressed cache of sentence entity labels: (tagger id, sentence text) -> labels.

Why: the same reason as the sentence-vector cache beside it (re-ingesting an edited
article, or the whole corpus after a pipeline change, should tag only the sentences that
changed). It is a second table in the same SQLite file, with the same keys (SHA-256 of the
tagger id and the text) and the labels as one comma-separated string.
"""

from __future__ import annotations

from pathlib import Path

from service.components.embedding_cache import EmbeddingCache, cache_key
from service.language.entities import EntityTagger, decode_labels, encode_labels, make_tagger
from service.settings import Settings

_SCHEMA = "CREATE TABLE IF NOT EXISTS entity_labels (key BLOB PRIMARY KEY, labels TEXT NOT NULL)"
_CHUNK = 500  # keys per SELECT ... IN (...): under SQLite's bound-parameter limit


class EntityLabelCache(EmbeddingCache):
    """The entity-label table of the cache file (its connection handling is the vector
    cache's: one connection per thread, WAL mode)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        with self._connection() as db:
            db.execute(_SCHEMA)

    def get_labels(self, keys: list[bytes]) -> dict[bytes, frozenset[str]]:
        db = self._connection()
        found: dict[bytes, frozenset[str]] = {}
        for lo in range(0, len(keys), _CHUNK):
            part = keys[lo : lo + _CHUNK]
            marks = ",".join("?" * len(part))
            for key, value in db.execute(
                f"SELECT key, labels FROM entity_labels WHERE key IN ({marks})", part
            ):
                found[key] = decode_labels(value) or frozenset()
        return found

    def put_labels(self, rows: list[tuple[bytes, frozenset[str]]]) -> None:
        db = self._connection()
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO entity_labels (key, labels) VALUES (?, ?)",
                [(k, encode_labels(v)) for k, v in rows],
            )


class CachedTagger:
    """An :class:`EntityTagger` that asks the cache first and tags only what it misses."""

    def __init__(self, inner: EntityTagger, cache: EntityLabelCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.hits = 0
        self.misses = 0

    def labels(self, texts: list[str]) -> list[frozenset[str]]:
        if not texts:
            return []
        keys = [cache_key(self.name, t) for t in texts]
        found = self.cache.get_labels(list(set(keys)))
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if missing:
            made = {
                cache_key(self.name, t): labels
                for t, labels in zip(missing, self.inner.labels(missing), strict=True)
            }
            self.cache.put_labels(list(made.items()))
            found.update(made)
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        return [found[k] for k in keys]


def make_ingest_tagger(settings: Settings) -> EntityTagger | None:
    """The configured tagger behind the label cache next to the index (if enabled)."""
    tagger = make_tagger(settings.language)
    if tagger is None or not settings.language.ner_cache:
        return tagger
    return CachedTagger(tagger, EntityLabelCache(settings.embedding_cache_path))
