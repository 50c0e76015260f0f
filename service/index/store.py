"""The sentence index in Chroma: one record per sentence, and a manifest of documents.

Chroma has no transactions, so a document is replaced in three steps that never leave a
reader with a half-written document:

1. the new version's sentences are written under ids that carry the version
   (``<source>::<version>::<n>``); a failure here deletes what was written and re-raises;
2. the manifest record of the document is switched to the new version (one upsert: the
   commit point; readers only trust sentences of the version the manifest names);
3. the sentences of other versions of that document are deleted.

A crash between 1 and 2 leaves an orphan version that the next write of the document
removes; between 2 and 3, stale records that readers ignore and the next write removes.
"""

from __future__ import annotations

import functools
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np

from service.index.errors import EmbedderMismatch, IndexUnavailable
from service.language.entities import decode_labels, encode_labels

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from service.settings import Settings

_BATCH = 500  # records per Chroma call; well under its max batch size
_GENERATION_ID = "generation"
_SOURCES_PER_READ = 200  # documents per snapshot read (~5,000 sentences)
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class DocumentEntry:
    """A document as the manifest knows it."""

    source: str
    version: str
    doc_hash: str
    title: str | None
    date: str | None
    sentences: int
    updated_at: float


@dataclass(frozen=True)
class StoredSentence:
    """A sentence record as written to and read from Chroma."""

    source: str
    number: int
    text: str
    start: int
    end: int
    title: str | None = None
    paragraph: int = 0
    # Entity labels found by the NER tagger at ingest; None: not known (no tagger, or an
    # index written before labels were stored).
    entities: frozenset[str] | None = None


def _reads_chroma(fn: Callable[P, R]) -> Callable[P, R]:
    """Reads that fail because Chroma does not answer raise :class:`IndexUnavailable`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (IndexUnavailable, EmbedderMismatch, ValueError, KeyError):
            raise
        except Exception as exc:
            raise IndexUnavailable(f"Chroma does not answer: {exc}") from exc

    return wrapper


def make_client(settings: Settings) -> ClientAPI:
    """A Chroma client for the configured mode (embedded on disk, or a server)."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client_settings = ChromaClientSettings(anonymized_telemetry=False, allow_reset=False)
    match settings.chroma.mode:
        case "embedded":
            path = settings.chroma_path
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=client_settings)
        case "http":
            from service.index.chroma_http import make_http_client

            return make_http_client(settings.chroma, client_settings)
        case _:
            raise ValueError(f"unknown chroma mode {settings.chroma.mode!r}")


@dataclass(frozen=True)
class DocumentWrite:
    """One document's new content, as :meth:`IndexStore.write_documents` takes it."""

    source: str
    doc_hash: str
    sentences: list[StoredSentence]
    vectors: np.ndarray
    title: str | None
    date: str | None

    @property
    def version(self) -> str:
        return self.doc_hash[:16]


def _any_of(conditions: list[dict[str, Any]]) -> Any:
    """A Chroma ``where`` matching any of ``conditions`` (each an AND of its fields)."""
    clauses = [{"$and": [{k: v} for k, v in c.items()]} if len(c) > 1 else c for c in conditions]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def _entry(source: str, meta: Any) -> DocumentEntry:
    m: dict[str, Any] = dict(meta or {})
    return DocumentEntry(
        source=source,
        version=str(m["version"]),
        doc_hash=str(m["doc_hash"]),
        title=m.get("title") or None,
        date=m.get("date") or None,
        sentences=int(m["sentences"]),
        updated_at=float(m.get("updated_at", 0.0)),
    )


def _sentence_metadata(d: DocumentWrite, version: str, s: StoredSentence) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source": d.source,
        "version": version,
        "sentence": s.number,
        "start": s.start,
        "end": s.end,
        "paragraph": s.paragraph,
        "title": d.title or "",
        "doc_hash": d.doc_hash,
    }
    if s.entities is not None:  # absent = unknown; "" = tagged, no entity found
        meta["entities"] = encode_labels(s.entities)
    return meta


def sentence_id(source: str, version: str, number: int) -> str:
    return f"{source}::{version}::{number}"


def parse_sentence_id(record: str) -> tuple[str, str, int]:
    """(source, version, number) of a :func:`sentence_id` (a source may contain "::")."""
    source, version, number = record.rsplit("::", 2)
    return source, version, int(number)


class IndexStore:
    """Reads and writes the sentence collection and its document manifest."""

    def __init__(self, client: ClientAPI, collection: str, embedder_name: str) -> None:
        self.client = client
        self.embedder_name = embedder_name
        self.sentences: Collection = client.get_or_create_collection(
            collection,
            metadata={"hnsw:space": "cosine", "embedder": embedder_name},
            embedding_function=None,
        )
        # The manifest needs no vectors; Chroma wants one per record, so it gets [1.0].
        self.manifest: Collection = client.get_or_create_collection(
            f"{collection}__documents",
            metadata={"embedder": embedder_name},
            embedding_function=None,
        )
        self.generation: Collection = client.get_or_create_collection(
            f"{collection}__generation", embedding_function=None
        )
        stored = (self.sentences.metadata or {}).get("embedder")
        if stored and stored != embedder_name:
            raise EmbedderMismatch(
                f"collection {collection!r} was built with {stored!r} but {embedder_name!r} "
                "is configured: use another collection name or re-index from scratch"
            )

    # -- manifest ---------------------------------------------------------------------
    @_reads_chroma
    def documents(self) -> dict[str, DocumentEntry]:
        """The whole manifest, in one read: callers read it once per run, not per document."""
        got = self.manifest.get(include=["metadatas"])
        return {
            source: _entry(source, meta)
            for source, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
        }

    @_reads_chroma
    def document(self, source: str) -> DocumentEntry | None:
        """One manifest record, by id (no scan of the manifest)."""
        got = self.manifest.get(ids=[source], include=["metadatas"])
        if not got["ids"]:
            return None
        metas = got["metadatas"] or []
        return _entry(source, metas[0] if metas else None)

    @_reads_chroma
    def fingerprint(self) -> tuple[tuple[str, str], ...]:
        """A cheap token that changes whenever the manifest does.

        Every write bumps a one-record generation marker, so a reader polling for changes
        reads one record, not the whole manifest (100k records at 100k articles, every
        refresh interval, in every worker). An index written before the marker existed
        falls back to the manifest's (source, version) pairs.
        """
        got = self.generation.get(ids=[_GENERATION_ID], include=["metadatas"])
        if got["ids"]:
            return (("generation", str((got["metadatas"] or [{}])[0].get("token", ""))),)
        got = self.manifest.get(include=["metadatas"])
        pairs = [
            (source, str((meta or {}).get("version", "")))
            for source, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
        ]
        return tuple(sorted(pairs))

    def document_count(self) -> int:
        return int(self.manifest.count())

    def _bump_generation(self) -> None:
        """After the manifest changed: readers see a new fingerprint."""
        self.generation.upsert(
            ids=[_GENERATION_ID],
            embeddings=np.ones((1, 1), dtype=np.float32),
            metadatas=[{"token": uuid.uuid4().hex, "at": time.time()}],
        )

    # -- writes -----------------------------------------------------------------------
    def write_document(
        self,
        source: str,
        doc_hash: str,
        sentences: list[StoredSentence],
        vectors: np.ndarray,
        title: str | None,
        date: str | None,
    ) -> None:
        """Make ``sentences`` the current content of ``source`` (see the module docstring)."""
        self.write_documents([DocumentWrite(source, doc_hash, sentences, vectors, title, date)])

    def write_documents(self, docs: list[DocumentWrite]) -> None:
        """Several documents in the three steps of the module docstring, each step one
        Chroma call per ~``_BATCH`` records for the whole group: a Chroma write costs ~50 ms
        whatever its size here, so one call per document per step capped ingest at ~100
        sentences/s. Step 2 (one manifest upsert) is the commit point for the group.
        """
        if not docs:
            return
        records: list[tuple[str, str, StoredSentence, np.ndarray, DocumentWrite]] = [
            (sentence_id(d.source, d.version, s.number), d.version, s, v, d)
            for d in docs
            for s, v in zip(d.sentences, d.vectors, strict=True)
        ]
        try:
            for lo in range(0, len(records), _BATCH):
                part = records[lo : lo + _BATCH]
                self.sentences.upsert(
                    ids=[r[0] for r in part],
                    embeddings=np.stack([r[3] for r in part]).astype(np.float32),
                    documents=[r[2].text for r in part],
                    metadatas=[_sentence_metadata(d, version, s) for _, version, s, _, d in part],
                )
        except Exception:
            self._delete_where(_any_of([{"source": d.source, "version": d.version} for d in docs]))
            raise
        now = time.time()
        self.manifest.upsert(
            ids=[d.source for d in docs],
            embeddings=np.ones((len(docs), 1), dtype=np.float32),
            documents=[d.title or d.source for d in docs],
            metadatas=[
                {
                    "version": d.version,
                    "doc_hash": d.doc_hash,
                    "title": d.title or "",
                    "date": d.date or "",
                    "sentences": len(d.sentences),
                    "updated_at": now,
                }
                for d in docs
            ],
        )
        self._bump_generation()
        self._delete_where(
            _any_of([{"source": d.source, "version": {"$ne": d.version}} for d in docs])
        )

    def delete_document(self, source: str) -> bool:
        """Remove a document: the manifest first (readers stop seeing it), then its records."""
        known = bool(self.manifest.get(ids=[source])["ids"])
        if known:
            self.manifest.delete(ids=[source])
            self._bump_generation()
        self._delete_where({"source": source})
        return known

    def _delete_where(self, where: dict[str, Any]) -> None:
        self.sentences.delete(where=where)

    # -- reads ------------------------------------------------------------------------
    @_reads_chroma
    def load_current(
        self, docs: dict[str, DocumentEntry]
    ) -> tuple[list[StoredSentence], np.ndarray]:
        """All sentences of the current versions, in (source, number) order, with vectors."""
        rows: list[tuple[StoredSentence, Any]] = []
        sources = sorted(docs)
        # One Chroma call per _SOURCES_PER_READ documents, not one per document: at 10k
        # documents that is 50 reads instead of 10,000.
        for lo in range(0, len(sources), _SOURCES_PER_READ):
            where: Any = {"source": {"$in": sources[lo : lo + _SOURCES_PER_READ]}}
            got = self.sentences.get(
                where=where,
                include=["documents", "metadatas", "embeddings"],
            )
            embeddings = got["embeddings"] if got["embeddings"] is not None else []
            for text, meta, vec in zip(
                got["documents"] or [], got["metadatas"] or [], embeddings, strict=True
            ):
                m = dict(meta or {})
                entry = docs[str(m["source"])]
                if m.get("version") != entry.version:
                    continue  # a version being written or removed: not current
                rows.append(
                    (
                        StoredSentence(
                            source=entry.source,
                            number=int(m["sentence"]),  # type: ignore[arg-type]
                            text=text,
                            start=int(m["start"]),  # type: ignore[arg-type]
                            end=int(m["end"]),  # type: ignore[arg-type]
                            title=entry.title,
                            paragraph=int(m.get("paragraph", 0)),  # type: ignore[arg-type]
                            entities=decode_labels(m.get("entities")),
                        ),
                        vec,
                    )
                )
        rows.sort(key=lambda r: (r[0].source, r[0].number))
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        return [r[0] for r in rows], np.vstack([r[1] for r in rows]).astype(np.float32)

    @_reads_chroma
    def query(
        self, vector: np.ndarray, n: int, docs: dict[str, DocumentEntry]
    ) -> list[tuple[str, int, float]]:
        """Nearest sentences of current versions: (source, number, cosine similarity).

        Ids and distances only: the id names the source, version and sentence number
        (``sentence_id``), so no metadata is read. No ``count()`` first either: it cost
        18 ms at 176k sentences (Chroma counts the records), four times the HNSW query
        itself; ``n`` is bounded by the caller's snapshot and Chroma returns what it has.
        """
        if n <= 0 or not docs:
            return []
        got = self.sentences.query(
            query_embeddings=[vector.tolist()], n_results=n, include=["distances"]
        )
        out: list[tuple[str, int, float]] = []
        ids = got["ids"][0] if got["ids"] else []
        dists = (got["distances"] or [[]])[0]
        for record, dist in zip(ids, dists, strict=True):
            source, version, number = parse_sentence_id(record)
            entry = docs.get(source)
            if entry is None or entry.version != version:
                continue  # a version being written or being removed: not current
            out.append((source, number, 1.0 - float(dist)))
        return out

    @_reads_chroma
    def set_search_ef(self, ef: int) -> None:
        """Make Chroma's HNSW search explore ``ef`` candidates. It is kept in the
        collection's configuration, so every client of the collection searches alike, and
        read when Chroma loads the index: set it before the first query of a process (a
        loaded index keeps the value it was loaded with). Written only when it differs."""
        with warnings.catch_warnings():
            # Chroma warns that a collection made with ``embedding_function=None`` has a
            # "legacy embedding function config"; this one never embeds (see __init__).
            warnings.simplefilter("ignore", DeprecationWarning)
            hnsw = dict((self.sentences.configuration or {}).get("hnsw") or {})
        if hnsw.get("ef_search") != ef:
            self.sentences.modify(configuration={"hnsw": {"ef_search": ef}})

    def heartbeat(self) -> None:
        try:
            self.client.heartbeat()
        except Exception as exc:
            raise IndexUnavailable(f"Chroma does not answer: {exc}") from exc
