"""The sentence index in Chroma: one vector per distinct sentence text, and documents.

Four collections (``<name>`` is ``chroma.collection``):

- ``<name>__vectors``: one record per distinct sentence text, id ``text_key(text)`` (the
  first 64 bits of its sha256), holding the text's vector and nothing else. A sentence
  that many articles share (wire copy, a standard line, an unchanged sentence of an
  edited article) is embedded into Chroma's HNSW index once: Chroma's write cost per
  record (~1 ms of CPU, rising with the collection: 744 records/s into an empty one,
  154/s at 440k records) capped ingest, and HNSW searches badly among many identical
  vectors (at 480k synthetic sentences, half of its top 50 were farther than the exact
  50th).
- ``<name>__contents``: one record per document version, id ``<source>::<version>``, with
  the version's sentences (text, number, span, paragraph, entity labels) as one JSON
  string: one write per document, not one per sentence.
- ``<name>__manifest``: one record per document naming its current version.
- ``<name>__generation``: one record that changes at every manifest change, and one
  (``embedding``) naming the vectors collection readers use and the model id and
  dimension that made its vectors: a process configured with another model stops with
  :class:`EmbedderMismatch`, which names ``python -m ingest --reembed``
  (``ingest/reembed.py`` builds a vectors collection for the new model beside the old one
  and switches this record when it is complete).

Chroma has no transactions, so a document is replaced in steps that never leave a reader
with a half-written document:

1. the new version's contents record is written (it names the texts it needs, so the
   garbage collection below keeps them from here on), then the vectors of texts not yet
   in Chroma; a failure deletes the contents record and re-raises;
2. the manifest record of the document is switched to the new version (one upsert: the
   commit point; readers only trust the version the manifest names);
3. the contents records of other versions of that document are deleted.

Texts no document refers to any more are removed by :meth:`IndexStore.collect_garbage`
(a sweep after runs that replaced or removed documents); until then they are only unused
records, which readers skip.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

import numpy as np

from service.index.errors import EmbedderMismatch, IndexUnavailable
from service.language.entities import decode_labels, encode_labels

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Where

    from service.settings import Settings

log = logging.getLogger(__name__)

_BATCH = 500  # records per Chroma write; well under its max batch size
_IDS_PER_READ = 5_000  # ids per Chroma read by id
_GENERATION_ID = "generation"
# The record (in the generation collection) naming the vectors collection readers use and
# the model and dimension that made it.
_EMBEDDING_ID = "embedding"
REEMBED_HINT = (
    "run `python -m ingest --reembed` to re-embed every stored sentence with the "
    "configured model (the index keeps serving until it is done), or configure the model "
    "the index was built with"
)
_SOURCES_PER_READ = 200  # documents per snapshot read (~5,000 sentences)
# Records per read of a whole collection: Chroma reads a page's records by id in one SQL
# statement, and SQLite takes at most 32,766 variables ("too many SQL variables" at 100k
# manifest records read at once).
_PAGE = 20_000
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
    # The article's own address: a feed entry's page, a POST /documents field, or the
    # page's canonical URL in its HTML; None when nothing says.
    url: str | None = None
    # Its byline ("A; B" for several authors, as trafilatura joins them) and its site's
    # domain (lower case, no "www."), both from the page or its URL; None: unknown.
    author: str | None = None
    site: str | None = None
    # Where ``date`` comes from: "metadata" (a feed entry, a POST /documents field),
    # "html" (the page's metadata, by trafilatura), "text" (a date header line),
    # "file_name" (a date in the file's name, when nothing else dates it).
    date_source: str | None = None


@dataclass(frozen=True)
class EmbeddingRecord:
    """Which model built the index: its vectors collection, the model's id and the
    vectors' dimension (None until the first vector is written)."""

    vectors: str
    embedder: str
    dimension: int | None


def default_vectors_name(collection: str) -> str:
    return f"{collection}__vectors"


@dataclass(frozen=True)
class StoredSentence:
    """A sentence as written to and read from the index."""

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


@dataclass(frozen=True)
class LoadedSentences:
    """Sentences read from the index, each with its text's key, and the vectors read with
    them: one per distinct text (``keys`` sorted, unique, aligned with ``vectors``)."""

    sentences: list[StoredSentence]
    row_keys: np.ndarray  # uint64 (:func:`key_number`), one per sentence
    keys: np.ndarray  # uint64, sorted, unique
    vectors: np.ndarray  # float32, one row per key

    @classmethod
    def empty(cls) -> LoadedSentences:
        none = np.zeros(0, dtype=np.uint64)
        return cls([], none, none, np.zeros((0, 0), dtype=np.float32))


def text_key(text: str) -> str:
    """The id of a sentence text's vector record: 16 hex digits of its sha256 (64 bits:
    at 2M distinct sentences the chance that two share a key is ~1e-7)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def key_number(key: str) -> int:
    """A :func:`text_key` as the unsigned 64-bit number the snapshot keeps (8 bytes a
    sentence, searchable with numpy, instead of a dict of strings)."""
    return int(key, 16)


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
    url: str | None = None
    author: str | None = None
    site: str | None = None
    date_source: str | None = None
    # When the manifest says it was written (None: now); a restored archive keeps its own.
    updated_at: float | None = None

    @property
    def version(self) -> str:
        return self.doc_hash[:16]


# The manifest record's one metadata key: the entry as a JSON list, in this order.
# Chroma costs ~50-60 us of write per metadata key of a record (a 6-key record took ~380
# us to upsert, a 1-key one ~115 us), and nothing filters the manifest on its fields: it
# is read by id or whole.
_ENTRY_KEY = "entry"
# Fields added later go at the end: an entry written before them is shorter and reads
# with them unset.
_ENTRY_FIELDS = (
    "version",
    "doc_hash",
    "title",
    "date",
    "sentences",
    "updated_at",
    "url",
    "author",
    "site",
    "date_source",
)


def _entry_metadata(d: DocumentWrite, updated_at: float) -> dict[str, Any]:
    values = [
        d.version,
        d.doc_hash,
        d.title or "",
        d.date or "",
        len(d.sentences),
        updated_at,
        d.url or "",
        d.author or "",
        d.site or "",
        d.date_source or "",
    ]
    return {_ENTRY_KEY: json.dumps(values, ensure_ascii=False, separators=(",", ":"))}


def _entry(source: str, meta: Any) -> DocumentEntry:
    m: dict[str, Any] = dict(meta or {})
    if _ENTRY_KEY in m:
        values = json.loads(str(m[_ENTRY_KEY]))
        if len(values) > len(_ENTRY_FIELDS):
            raise ValueError(f"manifest entry of {source!r} has unknown fields: {values!r}")
        m = dict(zip(_ENTRY_FIELDS, values, strict=False))
    # else: a record written before the entry was one key, one key per field
    return DocumentEntry(
        source=source,
        version=str(m["version"]),
        doc_hash=str(m["doc_hash"]),
        title=m.get("title") or None,
        date=m.get("date") or None,
        sentences=int(m["sentences"]),
        updated_at=float(m.get("updated_at", 0.0)),
        url=m.get("url") or None,
        author=m.get("author") or None,
        site=m.get("site") or None,
        date_source=m.get("date_source") or None,
    )


def contents_id(source: str, version: str) -> str:
    return f"{source}::{version}"


def _contents_metadata(d: DocumentWrite) -> dict[str, Any]:
    """A version's sentences as one metadata string: [number, start, end, paragraph,
    entity labels (None: unknown; "": tagged, none found), text] each; and its source, to
    find a document's versions (the version is in the record's id; each further key would
    cost the write ~50 us, see ``_ENTRY_KEY``)."""
    rows = [
        [
            s.number,
            s.start,
            s.end,
            s.paragraph,
            None if s.entities is None else encode_labels(s.entities),
            s.text,
        ]
        for s in d.sentences
    ]
    return {
        "source": d.source,
        "rows": json.dumps(rows, ensure_ascii=False, separators=(",", ":")),
    }


def _rows(meta: Any) -> list[list[Any]]:
    return list(json.loads(str(dict(meta or {}).get("rows") or "[]")))


def _embeddings(got: Any) -> Any:
    return got["embeddings"] if got["embeddings"] is not None else []


def _pages(collection: Collection, include: list[Any]) -> Iterable[tuple[str, Any]]:
    """(id, metadata or None) of every record of ``collection``, ``_PAGE`` at a time."""
    offset = 0
    while True:
        got = collection.get(include=include, limit=_PAGE, offset=offset)
        metas: list[Any] = list(got["metadatas"] or []) if "metadatas" in include else []
        yield from zip(got["ids"], metas or [None] * len(got["ids"]), strict=True)
        if len(got["ids"]) < _PAGE:
            return
        offset += _PAGE


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]


class IndexStore:
    """Reads and writes the sentence vectors, document contents and manifest."""

    def __init__(
        self,
        client: ClientAPI,
        collection: str,
        embedder_name: str,
        check_embedder: bool = True,
    ) -> None:
        """Open (or create) the index ``collection``. With ``check_embedder`` (every reader
        and writer but ``python -m ingest --reembed``), an index built with another model
        than ``embedder_name`` is an :class:`EmbedderMismatch` naming the way out."""
        self.client = client
        self.name = collection
        self.embedder_name = embedder_name
        _drop_old_layout(client, collection)
        # Contents, manifest and generation need no vectors; Chroma wants one per record,
        # so each gets [1.0].
        self.contents: Collection = client.get_or_create_collection(
            f"{collection}__contents", embedding_function=None
        )
        self.manifest: Collection = client.get_or_create_collection(
            f"{collection}__manifest",
            metadata={"embedder": embedder_name},
            embedding_function=None,
        )
        self.generation: Collection = client.get_or_create_collection(
            f"{collection}__generation", embedding_function=None
        )
        record = self._read_embedding_record()
        self.vectors: Collection = client.get_or_create_collection(
            record.vectors if record else default_vectors_name(collection),
            metadata={"hnsw:space": "cosine", "embedder": embedder_name},
            embedding_function=None,
        )
        # An index written before the record existed names its model in its vectors
        # collection's metadata only (and its dimension in its vectors).
        self.embedding = record or EmbeddingRecord(
            self.vectors.name,
            str((self.vectors.metadata or {}).get("embedder") or embedder_name),
            None,
        )
        # Writes and the garbage collection of this process take turns (see
        # ``collect_garbage`` for writers in other processes).
        self._writing = threading.RLock()
        self._staging: Collection | None = None  # a restore's manifest (stage_documents)
        if check_embedder and self.embedding.embedder != embedder_name:
            raise EmbedderMismatch(
                f"index {collection!r} was built with the embedding model "
                f"{self.embedding.embedder!r} but {embedder_name!r} is configured "
                f"(the embedding settings): {REEMBED_HINT}"
            )

    # -- which model built the index ----------------------------------------------------
    def _read_embedding_record(self) -> EmbeddingRecord | None:
        got = self.generation.get(ids=[_EMBEDDING_ID], include=["metadatas"])
        if not got["ids"]:
            return None
        meta: dict[str, Any] = dict((got["metadatas"] or [{}])[0] or {})
        dimension = int(meta.get("dimension") or 0)
        return EmbeddingRecord(str(meta["vectors"]), str(meta["embedder"]), dimension or None)

    def record_embedding(self, record: EmbeddingRecord) -> None:
        """Name the vectors collection and the model readers use from now on (one upsert:
        the commit point of ``python -m ingest --reembed``), and move the generation, so
        that running readers notice."""
        self.generation.upsert(
            ids=[_EMBEDDING_ID],
            embeddings=np.ones((1, 1), dtype=np.float32),
            metadatas=[
                {
                    "vectors": record.vectors,
                    "embedder": record.embedder,
                    "dimension": record.dimension or 0,
                    "at": time.time(),
                }
            ],
        )
        self.embedding = record
        self._bump_generation()

    def dimension(self) -> int | None:
        """The length of the index's vectors (None: no vector written yet)."""
        if self.embedding.dimension:
            return self.embedding.dimension
        got = self.vectors.peek(1)
        rows = _embeddings(got)
        return len(rows[0]) if len(rows) else None

    def check_dimension(self, dimension: int) -> None:
        """Refuse vectors of another length than the index's (a model of the same name
        with another dimension, e.g. an OpenAI model with ``dimensions`` set)."""
        held = self.dimension()
        if held is not None and held != dimension:
            raise EmbedderMismatch(
                f"index {self.name!r} holds {held}-dimensional vectors of "
                f"{self.embedding.embedder!r} but the configured model gives {dimension}: "
                f"{REEMBED_HINT}"
            )

    # -- manifest ---------------------------------------------------------------------
    @_reads_chroma
    def documents(self) -> dict[str, DocumentEntry]:
        """The whole manifest (callers read it once per run, not per document), in pages
        of ``_PAGE``. A write meanwhile may shift a page: the generation token it bumps
        makes the reader's next refresh read the manifest again."""
        return {
            source: _entry(source, meta) for source, meta in _pages(self.manifest, ["metadatas"])
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
        return tuple(sorted((s, e.version) for s, e in self.documents().items()))

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
        """Several documents in the steps of the module docstring, each step one Chroma
        call per ~``_BATCH`` records for the whole group (a Chroma write costs ~50 ms
        whatever its size here). Step 2 (one manifest upsert) is the commit point."""
        if not docs:
            return
        with self._writing:
            ids = [contents_id(d.source, d.version) for d in docs]
            try:
                for lo in range(0, len(docs), _BATCH):
                    part = docs[lo : lo + _BATCH]
                    self.contents.upsert(
                        ids=ids[lo : lo + _BATCH],
                        embeddings=np.ones((len(part), 1), dtype=np.float32),
                        metadatas=[_contents_metadata(d) for d in part],
                    )
                self._write_missing_vectors(docs)
            except Exception:
                self.contents.delete(ids=ids)
                raise
            now = time.time()
            self.manifest.upsert(
                ids=[d.source for d in docs],
                embeddings=np.ones((len(docs), 1), dtype=np.float32),
                metadatas=[_entry_metadata(d, d.updated_at or now) for d in docs],
            )
            self._bump_generation()
            self._delete_other_versions(docs)

    # -- a restore: every document staged, then committed at once ------------------------
    def stage_documents(self, docs: list[DocumentWrite]) -> None:
        """Write documents whose manifest records go to a staging manifest collection,
        not the index's: readers see none of them until :meth:`commit_staged`. The first
        call drops what a killed restore left staged."""
        if self._staging is None:
            name = f"{self.name}__manifest__staged"
            if name in {getattr(c, "name", c) for c in self.client.list_collections()}:
                self.client.delete_collection(name)
            self._staging = self.client.create_collection(name, embedding_function=None)
        with self._writing:
            for lo in range(0, len(docs), _BATCH):
                part = docs[lo : lo + _BATCH]
                self.contents.upsert(
                    ids=[contents_id(d.source, d.version) for d in part],
                    embeddings=np.ones((len(part), 1), dtype=np.float32),
                    metadatas=[_contents_metadata(d) for d in part],
                )
            self._write_missing_vectors(docs)
            now = time.time()
            for lo in range(0, len(docs), _BATCH):
                part = docs[lo : lo + _BATCH]
                self._staging.upsert(
                    ids=[d.source for d in part],
                    embeddings=np.ones((len(part), 1), dtype=np.float32),
                    metadatas=[_entry_metadata(d, d.updated_at or now) for d in part],
                )

    def commit_staged(self) -> None:
        """Make the staged manifest the index's: the empty manifest collection is dropped
        and the staged one renamed into its place (a restore killed between the two
        leaves no manifest, which the next open creates empty: still an empty index)."""
        if self._staging is None:
            return
        with self._writing:
            if self.manifest.count():
                raise ValueError(f"index {self.name!r} gained documents during the restore")
            name = self.manifest.name
            self.client.delete_collection(name)
            self._staging.modify(name=name)
            self.manifest = self.client.get_collection(name, embedding_function=None)
            self._staging = None
            self._bump_generation()

    def _delete_other_versions(self, docs: list[DocumentWrite]) -> None:
        """Delete the group's sources' contents records but the versions just written.

        Their ids come from one read on ``source`` (``$in``: an equality on an indexed
        field), then they are deleted by id. Why not one ``delete(where=...)``: a ``$or``
        of ``source = X and version != v`` per document took 0.4-0.75 s per 512 documents
        at 10k records, and half of a 100k re-ingest's writer time; the read takes ~13 ms.
        """
        current = {contents_id(d.source, d.version) for d in docs}
        stale: list[str] = []
        for part in _chunks(list(dict.fromkeys(d.source for d in docs)), _IDS_PER_READ):
            where = cast("Where", {"source": {"$in": part}})  # (mypy: a union of dicts)
            got = self.contents.get(where=where, include=[])
            stale.extend(i for i in got["ids"] if i not in current)
        for part in _chunks(stale, _IDS_PER_READ):
            self.contents.delete(ids=part)

    def _write_missing_vectors(self, docs: list[DocumentWrite]) -> None:
        """Upsert the vectors of the group's texts that Chroma does not hold yet."""
        wanted: dict[str, np.ndarray] = {}
        for d in docs:
            for s, v in zip(d.sentences, d.vectors, strict=True):
                wanted.setdefault(text_key(s.text), v)
        keys = list(wanted)
        held: set[str] = set()
        for part in _chunks(keys, _IDS_PER_READ):
            held.update(self.vectors.get(ids=part, include=[])["ids"])
        missing = [k for k in keys if k not in held]
        if missing:
            self._note_dimension(len(wanted[missing[0]]))
        for part in _chunks(missing, _BATCH):
            self.vectors.upsert(
                ids=part, embeddings=np.stack([wanted[k] for k in part]).astype(np.float32)
            )

    def _note_dimension(self, dimension: int) -> None:
        """Check vectors about to be written against the index's, and record the model and
        dimension at the index's first vectors."""
        self.check_dimension(dimension)
        if self.embedding.dimension is None:
            self.record_embedding(replace(self.embedding, dimension=dimension))

    def delete_document(self, source: str) -> bool:
        """Remove a document: the manifest first (readers stop seeing it), then its
        contents (its texts' vectors go at the next garbage collection)."""
        with self._writing:
            known = bool(self.manifest.get(ids=[source])["ids"])
            if known:
                self.manifest.delete(ids=[source])
                self._bump_generation()
            self.contents.delete(where={"source": source})
            return known

    @_reads_chroma
    def collect_garbage(self) -> int:
        """Remove the vectors of texts that no contents record refers to; returns how many.

        A sweep of both collections, O(index) (~1 s per 10k articles): run after a batch
        of replacements or removals, not per document. Another process may be writing
        meanwhile (a Chroma server takes writers from anywhere): a writer writes its
        contents record before it looks for the vectors it needs, and this reads the
        contents again after deleting, putting back any vector a record written meanwhile
        refers to, so a committed document never lacks a vector.
        """
        with self._writing:
            orphans = sorted(self._vector_ids() - self._referenced())
            if not orphans:
                return 0
            saved: dict[str, Any] = {}
            for part in _chunks(orphans, _IDS_PER_READ):
                got = self.vectors.get(ids=part, include=["embeddings"])
                saved.update(zip(got["ids"], _embeddings(got), strict=True))
            for part in _chunks(orphans, _BATCH):
                self.vectors.delete(ids=part)
            back = sorted(self._referenced().intersection(saved))
            for part in _chunks(back, _BATCH):
                self.vectors.upsert(
                    ids=part, embeddings=np.stack([saved[k] for k in part]).astype(np.float32)
                )
            return len(orphans) - len(back)

    def _vector_ids(self) -> set[str]:
        """Every vector record's id (one a concurrent write makes the pages skip is only
        not swept this time)."""
        return {key for key, _ in _pages(self.vectors, [])}

    def _referenced(self) -> set[str]:
        """The keys of every text a contents record names (any version: one being written
        needs its vectors kept as much as a current one). In pages: with writers in other
        processes (a Chroma server), a record deleted meanwhile can shift a page so that
        one record is not read here; a vector only it names could then be removed, and its
        sentence is found by its words until the text is written again (see
        ``_vectors_of``). With one writer process (embedded Chroma) nothing moves."""
        out: set[str] = set()
        for _, meta in _pages(self.contents, ["metadatas"]):
            out.update(text_key(str(row[5])) for row in _rows(meta))
        return out

    # -- reads ------------------------------------------------------------------------
    @_reads_chroma
    def load_current(
        self, docs: dict[str, DocumentEntry], known: np.ndarray | None = None
    ) -> LoadedSentences:
        """All sentences of the current versions of ``docs``, in (source, number) order,
        and their texts' vectors, except those whose key is in ``known`` (keys whose
        vectors the caller holds already: an incremental build reads only new texts)."""
        rows: list[StoredSentence] = []
        # One string per distinct text, shared by the sentences that carry it (a line
        # 500 articles repeat is held once in memory and once in the snapshot file).
        texts: dict[str, str] = {}
        sources = sorted(docs)
        # One Chroma call per _SOURCES_PER_READ documents, not one per document: at 10k
        # documents that is 50 reads instead of 10,000.
        for lo in range(0, len(sources), _SOURCES_PER_READ):
            part = sources[lo : lo + _SOURCES_PER_READ]
            got = self.contents.get(
                ids=[contents_id(s, docs[s].version) for s in part], include=["metadatas"]
            )
            for meta in got["metadatas"] or []:
                entry = docs[str(dict(meta or {})["source"])]
                rows.extend(
                    StoredSentence(
                        source=entry.source,
                        number=int(number),
                        text=texts.setdefault(text, text),
                        start=int(start),
                        end=int(end),
                        title=entry.title,
                        paragraph=int(paragraph),
                        entities=decode_labels(labels),
                    )
                    for number, start, end, paragraph, labels, text in _rows(meta)
                )
        rows.sort(key=lambda r: (r.source, r.number))
        if not rows:
            return LoadedSentences.empty()
        key_of = {t: key_number(text_key(t)) for t in texts}
        row_keys = np.fromiter((key_of[r.text] for r in rows), dtype=np.uint64, count=len(rows))
        keys = np.unique(row_keys)
        if known is not None and len(known):
            keys = keys[~np.isin(keys, known)]
        return LoadedSentences(rows, row_keys, keys, self._vectors_of(keys))

    def _vectors_of(self, keys: np.ndarray) -> np.ndarray:
        """The vectors of ``keys`` (in that order). A vector missing from Chroma (removed
        while this read ran, or a damaged index) comes back as zeros: its sentence is then
        found by its words only, and a warning says so."""
        ids = [f"{int(k):016x}" for k in keys]
        found: dict[str, Any] = {}
        for part in _chunks(ids, _IDS_PER_READ):
            got = self.vectors.get(ids=part, include=["embeddings"])
            found.update(zip(got["ids"], _embeddings(got), strict=True))
        if not found:
            return np.zeros((len(ids), 0), dtype=np.float32)
        dim = len(next(iter(found.values())))
        out = np.zeros((len(ids), dim), dtype=np.float32)
        for i, key in enumerate(ids):
            if key in found:
                out[i] = found[key]
        if len(found) < len(ids):
            log.warning("%d sentence vectors missing from the index", len(ids) - len(found))
        return out

    @_reads_chroma
    def query(self, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The ``n`` nearest texts: (key number, cosine similarity), best first.

        Ids and distances only, no metadata; the caller's snapshot knows which sentences
        carry each text (a text no current document holds is skipped there). No
        ``count()`` first either: it cost 18 ms at 176k records, four times the query."""
        if n <= 0:
            return []
        got = self.vectors.query(
            query_embeddings=[vector.tolist()], n_results=n, include=["distances"]
        )
        ids = got["ids"][0] if got["ids"] else []
        dists = (got["distances"] or [[]])[0]
        return [(key_number(k), 1.0 - float(d)) for k, d in zip(ids, dists, strict=True)]

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
            hnsw = dict((self.vectors.configuration or {}).get("hnsw") or {})
        if hnsw.get("ef_search") != ef:
            self.vectors.modify(configuration={"hnsw": {"ef_search": ef}})

    def heartbeat(self) -> None:
        try:
            self.client.heartbeat()
        except Exception as exc:
            raise IndexUnavailable(f"Chroma does not answer: {exc}") from exc


def _drop_old_layout(client: ClientAPI, collection: str) -> None:
    """An index written before vectors were kept per distinct text (one Chroma record per
    sentence, in a collection named ``collection``) cannot be read by this layout: its
    collections are removed, with a warning, and the next ingest indexes every document
    anew (``make run`` does it: the manifest is then empty, so the corpus is stale)."""
    names = {getattr(c, "name", c) for c in client.list_collections()}
    old = [n for n in (collection, f"{collection}__documents") if n in names]
    for name in old:
        try:
            client.delete_collection(name)
        except Exception:  # another process removed it first
            continue
    if old:
        log.warning(
            "index %r was written by an older version (one record per sentence): "
            "removed; index the documents again (python -m ingest PATH, or make run)",
            collection,
        )
