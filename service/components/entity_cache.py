"""A content-addressed cache of sentence entity labels: (tagger id, sentence text) -> labels.

Why: the same reason as the sentence-vector cache beside it (re-ingesting an edited
article, or the whole corpus after a pipeline change, should tag only the sentences that
changed). It is a second table in the same SQLite file, with the same keys (SHA-256 of the
tagger id and the text) and the labels as one comma-separated string.
"""

from __future__ import annotations

from service.components.embedding_cache import ContentCache, cache_key
from service.language.entities import EntityTagger, decode_labels, encode_labels, make_tagger
from service.settings import Settings


class EntityLabelCache(ContentCache):
    """Entity labels: one comma-separated string per sentence text."""

    table, column, value_type = "entity_labels", "labels", "TEXT"

    def get_labels(self, keys: list[bytes]) -> dict[bytes, frozenset[str]]:
        return {k: decode_labels(v) or frozenset() for k, v in self._get(keys).items()}

    def put_labels(self, rows: list[tuple[bytes, frozenset[str]]]) -> None:
        self._put([(k, encode_labels(v)) for k, v in rows])


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
