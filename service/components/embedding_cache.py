"""A content-addressed cache of sentence vectors: (model id, sentence text) -> vector.

Why: news archives repeat themselves (boilerplate, quotes carried from story to story,
corrections that touch one paragraph), and re-ingesting an edited article should embed
only the sentences that changed. The cache is one SQLite file next to the index: no
server, safe for several processes (WAL mode, one writer at a time), and a lookup by
primary key is a B-tree probe, so it stays fast at millions of rows. Keys are SHA-256
digests of the model id and the text (32 bytes, whatever the sentence's length); values
are the float32 vector's bytes.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from tenacity import retry, retry_if_exception, stop_after_delay, wait_random_exponential

from service.components.embeddings import Embedder
from service.settings import Settings

_CHUNK = 500  # keys per SELECT ... IN (...): under SQLite's bound-parameter limit
_BUSY_S = 30.0  # how long a connection waits for another process's lock


def _locked(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


# Setting up a connection is retried while the file is locked. SQLite's busy timeout does
# not cover it: when several processes open a new file at once (the ingester's parse
# workers, each opening the cache on its first batch), switching it to WAL asks for an
# exclusive lock while holding a shared one, and SQLite answers SQLITE_BUSY at once rather
# than wait where waiting could deadlock. Seen in CI; 4 processes opening a new file
# together hit it in ~1 run in 3 here.
_retry_locked = retry(
    retry=retry_if_exception(_locked),
    wait=wait_random_exponential(multiplier=0.01, max=0.5),
    stop=stop_after_delay(_BUSY_S),
    reraise=True,
)


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


@_retry_locked
def _use_wal(db: sqlite3.Connection) -> None:
    """Put the file in WAL mode (kept in the file) unless another connection has."""
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        db.execute("PRAGMA journal_mode=WAL")


class ContentCache:
    """The SQLite file of the content-addressed caches: one table per kind of value (the
    vectors here; entity labels, ``entity_cache``; sentence spans, ``split_cache``), each
    ``(key BLOB PRIMARY KEY, <value> NOT NULL)``. One connection per thread (sqlite3
    connections are not shared), WAL mode: several processes (the ingester's parse
    workers, the service) read and write it at once."""

    table: str = ""
    column: str = ""
    value_type: str = "BLOB"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._create_table()

    @_retry_locked
    def _create_table(self) -> None:
        with self._connection() as db:
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                f"(key BLOB PRIMARY KEY, {self.column} {self.value_type} NOT NULL)"
            )

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=_BUSY_S)
            _use_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")  # a lost cache row is only made again
            self._local.db = db
        return db

    def _get(self, keys: list[bytes]) -> dict[bytes, Any]:
        """The stored values of those ``keys`` the table holds."""
        db = self._connection()
        found: dict[bytes, Any] = {}
        for lo in range(0, len(keys), _CHUNK):
            part = keys[lo : lo + _CHUNK]
            marks = ",".join("?" * len(part))
            found.update(
                db.execute(
                    f"SELECT key, {self.column} FROM {self.table} WHERE key IN ({marks})", part
                )
            )
        return found

    def _put(self, rows: list[tuple[bytes, Any]]) -> None:
        db = self._connection()
        with db:
            db.executemany(
                f"INSERT OR REPLACE INTO {self.table} (key, {self.column}) VALUES (?, ?)", rows
            )

    def __len__(self) -> int:
        row = self._connection().execute(f"SELECT count(*) FROM {self.table}").fetchone()
        return int(row[0])

    def __reduce__(self) -> tuple[Any, ...]:
        """Sent to another process (a parse worker) as its kind and path: that process
        opens the file once, whatever sends it there and however often."""
        return (cache_at, (type(self), self.path))


@lru_cache(maxsize=8)
def cache_at(kind: type[ContentCache], path: Path) -> ContentCache:
    """This process's handle on the ``kind`` table of the cache file at ``path``."""
    return kind(path)


class EmbeddingCache(ContentCache):
    """Sentence vectors: float32 bytes."""

    table, column = "vectors", "vector"

    def get_many(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        return {k: np.frombuffer(v, dtype=np.float32) for k, v in self._get(keys).items()}

    def put_many(self, rows: list[tuple[bytes, np.ndarray]]) -> None:
        self._put([(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in rows])


def cache_key(model: str, text: str) -> bytes:
    return hashlib.sha256(f"{model}\0{text}".encode()).digest()


class CachedEmbedder:
    """An :class:`Embedder` that asks the cache first and embeds only what it misses.

    Same name as the model it wraps: the cache changes where vectors come from, not what
    they are. ``stats`` counts hits and misses since it was made (the ingest summary).
    """

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.stats = CacheStats()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.inner.embed(texts)
        keys = [cache_key(self.name, t) for t in texts]
        found = self.cache.get_many(list(set(keys)))
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if missing:
            fresh = self.inner.embed(missing)
            made = {cache_key(self.name, t): v for t, v in zip(missing, fresh, strict=True)}
            self.cache.put_many(list(made.items()))
            found.update(made)
        self.stats.misses += len(missing)
        self.stats.hits += len(texts) - len(missing)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)


def make_cached(embedder: Embedder, settings: Settings) -> Embedder:
    """``embedder`` behind the sentence-vector cache next to the index, if enabled."""
    if not settings.embedding.cache:
        return embedder
    return CachedEmbedder(embedder, EmbeddingCache(settings.embedding_cache_path))
