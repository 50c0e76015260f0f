"""An in-memory snapshot of the current index, and the state that keeps it in step.

Chroma holds the truth. Each process keeps a snapshot of the current sentences (text,
vectors, BM25, learned name spellings) for lexical search, neighbours and the sources
API; it is rebuilt when the document manifest in Chroma changes, whoever changed it (the
CLI, the documents API, or another service process sharing a Chroma server).
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from service.index.carriers import Carriers, locate
from service.index.catalog import Catalog, Scope
from service.index.errors import IndexUnavailable
from service.index.lexical import LexicalIndex
from service.index.snapshot_file import SnapshotFiles
from service.index.store import DocumentEntry, IndexStore, StoredSentence
from service.index.stories import Stories, StoryRule
from service.index.top import top_n
from service.language.attribution import speakers
from service.language.keys import text_keys
from service.language.names import NameEvidence, NameIndex

log = logging.getLogger(__name__)


@dataclass
class CorpusSnapshot:
    fingerprint: tuple[tuple[str, str], ...]
    documents: dict[str, DocumentEntry]
    sentences: list[StoredSentence]
    # One vector per distinct sentence text: sentence ``i``'s is
    # ``vectors[row_vector[i]]``, and ``vector_keys`` (sorted) are the texts' keys in
    # Chroma (``store.key_number``). A snapshot made without them has one vector a row.
    vectors: np.ndarray
    position: dict[tuple[str, int], int]
    names: NameIndex
    lexical: LexicalIndex
    built_at: float
    # The summed name evidence of all sentences, kept so that the next snapshot updates
    # it by the changed documents only (see ``NameEvidence``).
    name_evidence: NameEvidence = field(default_factory=NameEvidence, repr=False)
    row_vector: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    vector_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64), repr=False)
    _keys: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    story_rule: StoryRule = field(default_factory=StoryRule)
    # The previous snapshot's clusters, which ``stories`` updates by the changed documents
    # (dropped once used).
    _prior_stories: Stories | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if len(self.row_vector) != len(self.sentences):  # one vector a row
            self.row_vector = np.arange(len(self.sentences), dtype=np.int64)
            self.vector_keys = np.arange(len(self.sentences), dtype=np.uint64)

    @classmethod
    def build(
        cls,
        store: IndexStore,
        name_similarity: float,
        previous: CorpusSnapshot | None = None,
        story_rule: StoryRule | None = None,
    ) -> CorpusSnapshot:
        """Read the current index. With ``previous``, only documents whose version changed
        are read from Chroma; the others' sentences and vectors are taken from it (at 10k
        articles, a one-article change reads ~20 records instead of ~200,000)."""
        fingerprint = store.fingerprint()
        documents = store.documents()
        sentences, row_vector, vector_keys, vectors = _load(store, documents, previous)
        texts = [s.text for s in sentences]
        carriers = Carriers.of(row_vector, len(vector_keys))
        evidence = _name_evidence(documents, sentences, previous)
        names = NameIndex.from_evidence(evidence, name_similarity)
        snap = cls(
            fingerprint=fingerprint,
            documents=documents,
            sentences=sentences,
            vectors=vectors,
            position={(s.source, s.number): i for i, s in enumerate(sentences)},
            names=names,
            lexical=LexicalIndex(
                texts, names, previous.lexical if previous else None, carriers, vector_keys
            ),
            built_at=time.time(),
            name_evidence=evidence,
            row_vector=row_vector,
            vector_keys=vector_keys,
            story_rule=story_rule or StoryRule(),
            _prior_stories=previous.__dict__.get("stories") if previous else None,
        )
        return snap.prepare()

    def prepare(self) -> CorpusSnapshot:
        """Compute now what answering derives from every sentence (comparison-key
        frequencies, each sentence's speaker, sentences by speaker, entity labels), so
        that it is done where the snapshot is built, off the request path: lazily, the
        first question after each rebuild paid for it (at 10k articles 2.1 s for the
        speakers alone, ~20 s at 100k)."""
        self.document_frequency  # noqa: B018 (cached)
        self.said_by  # noqa: B018 (cached, and the speakers with it)
        self.entity_labels  # noqa: B018 (cached)
        self._carriers  # noqa: B018 (cached; 0.2 s at 2M sentences)
        self.catalog  # noqa: B018 (cached)
        self.stories  # noqa: B018 (cached; 0.4 s at 10k documents, all signed anew)
        return self

    def to_parts(self) -> dict[str, object]:
        """What a saved snapshot holds besides its vectors (see ``snapshot_file``): the
        built structures, not the caches answering fills."""
        return {
            "fingerprint": self.fingerprint,
            "documents": self.documents,
            "sentences": self.sentences,
            "row_vector": self.row_vector,
            "vector_keys": self.vector_keys,
            "names": self.names,
            "lexical": self.lexical,
            "name_evidence": self.name_evidence,
            # computed here if answering has not yet (1 s at 10k articles, ~15 s at 100k)
            "document_frequency": self.document_frequency,
            "speakers": self.speakers,  # 2.1 s at 10k articles
        }

    @classmethod
    def from_parts(
        cls, parts: dict[str, Any], vectors: np.ndarray, story_rule: StoryRule | None = None
    ) -> CorpusSnapshot:
        sentences: list[StoredSentence] = parts["sentences"]
        snap = cls(
            fingerprint=parts["fingerprint"],
            documents=parts["documents"],
            sentences=sentences,
            vectors=vectors,
            position={(s.source, s.number): i for i, s in enumerate(sentences)},
            names=parts["names"],
            lexical=parts["lexical"],
            built_at=time.time(),
            name_evidence=parts["name_evidence"],
            row_vector=parts["row_vector"],
            vector_keys=parts["vector_keys"],
            story_rule=story_rule or StoryRule(),
        )
        for cached in ("document_frequency", "speakers"):  # cached properties, filled
            if cached in parts:  # (a file written before one was kept lacks it)
                snap.__dict__[cached] = parts[cached]
        return snap.prepare()

    def keys_of(self, text: str) -> frozenset[str]:
        """The comparison keys of a text: each name's cluster token, or a word's stem.

        Cached per text: answering compares the same sentences many times per request.
        """
        cached = self._keys.get(text)
        if cached is not None:
            return cached
        keys = text_keys(text, self.names)
        if len(self._keys) < 100_000:
            self._keys[text] = keys
        return keys

    @cached_property
    def document_frequency(self) -> dict[str, int]:
        """In how many sentences each comparison key occurs."""
        df: dict[str, int] = {}
        for s in self.sentences:
            for key in self.keys_of(s.text):
                df[key] = df.get(key, 0) + 1
        return df

    @cached_property
    def speakers(self) -> list[str | None]:
        """Who speaks in each sentence (canonical name), for "What did X say?"."""
        return speakers(self.sentences, self.names)

    @cached_property
    def said_by(self) -> dict[str, list[int]]:
        """Sentence positions by speaker: a question about X looks up X's sentences
        instead of scanning every sentence's speaker (2.7M at 100k articles)."""
        out: dict[str, list[int]] = {}
        for i, who in enumerate(self.speakers):
            if who:
                out.setdefault(who, []).append(i)
        return out

    @cached_property
    def entity_labels(self) -> list[frozenset[str] | None]:
        """Each sentence's entity labels (by position), as the NER tagger found them at
        ingest; None where unknown (no tagger, or an index written before labels were
        stored: such an index still answers, without the answer-type check)."""
        return [s.entities for s in self.sentences]

    def holds_entity(self, i: int, wanted: frozenset[str]) -> bool | None:
        """Whether sentence ``i`` holds an entity of one of the ``wanted`` labels (e.g.
        ``expected_labels(question)``); None when its labels are unknown."""
        labels = self.sentences[i].entities
        return None if labels is None else not labels.isdisjoint(wanted)

    def vector(self, i: int) -> np.ndarray:
        """Sentence ``i``'s vector."""
        return np.asarray(self.vectors[self.row_vector[i]])

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Every sentence's cosine similarity to ``query``, by position (for the eval's
        reports; the service scores only the candidates it looks at)."""
        sims = self.vectors @ np.asarray(query, dtype=np.float32)
        return np.asarray(sims[self.row_vector])

    def nearest(self, query: np.ndarray, n: int) -> list[tuple[int, float]]:
        """Exact dense search: (position, cosine similarity) of the ``n`` sentences most
        like ``query``, best first (ties by position). Vectors are unit length, so a dot
        product is a cosine; one matrix-vector product over the distinct texts in BLAS,
        ``top_n`` (linear), then the sentences that carry the best texts."""
        if not len(self.sentences) or not n:
            return []
        sims = self.vectors @ np.asarray(query, dtype=np.float32)
        return self.carriers([(int(v), float(sims[v])) for v in top_n(sims, n)], n)

    def carriers_of_keys(self, hits: list[tuple[int, float]], n: int) -> list[tuple[int, float]]:
        """:meth:`carriers` of texts named by key (Chroma's answer); a key this snapshot
        does not hold (a text no current document carries) is skipped."""
        if not hits or not len(self.vector_keys):
            return []
        at, held = locate(self.vector_keys, np.array([k for k, _ in hits], dtype=np.uint64))
        return self.carriers(
            [(int(v), sim) for v, ok, (_, sim) in zip(at, held, hits, strict=True) if ok], n
        )

    def carriers(self, hits: list[tuple[int, float]], n: int) -> list[tuple[int, float]]:
        """The ``n`` best sentences carrying the texts of ``hits`` ((vector index,
        similarity)): (position, similarity), best first, ties by position, so a text that
        ten articles share ranks as ten sentences, as with one vector a sentence."""
        if not hits:
            return []
        texts, sims = zip(*hits, strict=True)
        return self._carriers.rank(np.array(texts), np.array(sims), n)

    def same_text(self, i: int) -> np.ndarray:
        """The positions of every sentence carrying sentence ``i``'s text (``i`` too),
        ascending."""
        c = self._carriers
        t = int(c.text_of[i])
        return np.asarray(c.order[c.bounds[t] : c.bounds[t + 1]])

    @cached_property
    def _carriers(self) -> Carriers:
        """Which sentences carry each vector's text: the BM25 index's, when it was built
        over this snapshot's texts (it is, but for a snapshot assembled by hand)."""
        own = self.lexical.carriers
        if own.texts == len(self.vectors) and np.array_equal(own.text_of, self.row_vector):
            return own
        return Carriers.of(self.row_vector, len(self.vectors))

    def get(self, source: str, number: int) -> StoredSentence | None:
        i = self.position.get((source, number))
        return None if i is None else self.sentences[i]

    def of_document(self, source: str) -> list[StoredSentence]:
        lo, hi = self.ranges.get(source, (0, 0))
        return self.sentences[lo:hi]

    @cached_property
    def catalog(self) -> Catalog:
        """The documents by date, site and author, for request filters (``catalog``)."""
        return Catalog(self.documents, self.ranges, len(self.sentences))

    @cached_property
    def stories(self) -> Stories:
        """The story clusters (``service.index.stories``): copies and versions of one
        story grouped, by the sets of sentence texts the documents carry."""
        prior, self._prior_stories = self._prior_stories, None
        return Stories.build(self.documents, self.text_keys_of, self.story_rule, prior)

    def text_keys_of(self, source: str) -> np.ndarray:
        """The distinct text keys (sorted) of a document's sentences."""
        lo, hi = self.ranges.get(source, (0, 0))
        return np.unique(self.vector_keys[self.row_vector[lo:hi]])

    @cached_property
    def ranges(self) -> dict[str, tuple[int, int]]:
        """Each document's slice of ``sentences`` (they are sorted by source, number)."""
        out: dict[str, tuple[int, int]] = {}
        for i, s in enumerate(self.sentences):
            lo, _ = out.get(s.source, (i, i))
            out[s.source] = (lo, i + 1)
        return out

    def around(self, i: int, k: int) -> tuple[list[StoredSentence], list[StoredSentence]]:
        """Up to ``k`` sentences before and after position ``i``, within its document."""
        s = self.sentences[i]
        before = [
            self.sentences[j]
            for j in range(max(0, i - k), i)
            if self.sentences[j].source == s.source
        ]
        after = [
            self.sentences[j]
            for j in range(i + 1, min(len(self.sentences), i + 1 + k))
            if self.sentences[j].source == s.source
        ]
        return before, after


Loaded = tuple[list[StoredSentence], np.ndarray, np.ndarray, np.ndarray]


def _load(
    store: IndexStore, documents: dict[str, DocumentEntry], previous: CorpusSnapshot | None
) -> Loaded:
    """(sentences, row_vector, vector_keys, vectors) of the current index."""
    if previous is None or not previous.sentences:
        got = store.load_current(documents)
        return _assemble(got.sentences, got.row_keys, [(got.keys, got.vectors)])
    old = previous.documents
    kept = {s for s, e in documents.items() if s in old and old[s].version == e.version}
    fresh = store.load_current(
        {s: e for s, e in documents.items() if s not in kept}, known=previous.vector_keys
    )
    fresh_ranges: dict[str, tuple[int, int]] = {}
    for i, s in enumerate(fresh.sentences):
        lo, _ = fresh_ranges.get(s.source, (i, i))
        fresh_ranges[s.source] = (lo, i + 1)
    sentences: list[StoredSentence] = []
    keys: list[np.ndarray] = []
    for source in sorted(documents):
        if source in kept:
            lo, hi = previous.ranges.get(source, (0, 0))
            sentences.extend(previous.sentences[lo:hi])
            keys.append(previous.vector_keys[previous.row_vector[lo:hi]])
        elif source in fresh_ranges:
            lo, hi = fresh_ranges[source]
            sentences.extend(fresh.sentences[lo:hi])
            keys.append(fresh.row_keys[lo:hi])
    row_keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64)
    pools = [(previous.vector_keys, previous.vectors), (fresh.keys, fresh.vectors)]
    return _assemble(sentences, row_keys, pools)


def _assemble(
    sentences: list[StoredSentence],
    row_keys: np.ndarray,
    pools: list[tuple[np.ndarray, np.ndarray]],
) -> Loaded:
    """One vector per distinct key of ``row_keys``, taken from the first pool holding it
    (zeros if none does: see ``IndexStore._vectors_of``)."""
    keys, row_vector = np.unique(row_keys, return_inverse=True)
    dim = max((v.shape[1] for _, v in pools if v.ndim == 2 and len(v)), default=0)
    if not sentences or not dim:
        return sentences, row_vector.astype(np.int64), keys, np.zeros((len(keys), dim), np.float32)
    vectors = np.zeros((len(keys), dim), dtype=np.float32)
    todo = np.ones(len(keys), dtype=bool)
    for pool_keys, pool_vectors in pools:
        if not len(pool_keys):
            continue
        at, held = locate(pool_keys, keys)
        take = todo & held
        vectors[take] = pool_vectors[at[take]]
        todo &= ~take
    return sentences, row_vector.astype(np.int64), keys, vectors


def _span(sentences: list[StoredSentence], source: str) -> tuple[int, int]:
    """The slice of ``sentences`` (sorted by source, number) that ``source`` holds."""
    lo = bisect.bisect_left(sentences, source, key=lambda s: s.source)
    return lo, bisect.bisect_right(sentences, source, lo=lo, key=lambda s: s.source)


def _name_evidence(
    documents: dict[str, DocumentEntry],
    sentences: list[StoredSentence],
    previous: CorpusSnapshot | None,
) -> NameEvidence:
    """The previous snapshot's evidence, less its changed or removed documents' (their old
    sentences are still in it), plus the new versions': work for the changed documents
    only. Without a previous snapshot, every sentence's."""
    if previous is None or not previous.sentences:
        return NameEvidence.of([s.text for s in sentences])
    old = previous.documents
    stale = {s for s, e in old.items() if s not in documents or documents[s].version != e.version}
    fresh = {s for s, e in documents.items() if s not in old or old[s].version != e.version}
    if not stale and not fresh:
        return previous.name_evidence
    total = previous.name_evidence.copy()
    for source in stale:
        total.add(NameEvidence.of([s.text for s in previous.of_document(source)]), -1)
    for source in fresh:
        lo, hi = _span(sentences, source)
        total.add(NameEvidence.of([s.text for s in sentences[lo:hi]]))
    return total


class IndexState:
    """Hands out the current snapshot at once; a new one is built beside it and swapped in.

    Requests never wait for a rebuild (only the very first build of a process, when there
    is nothing to answer from): when the last check of Chroma's manifest is older than the
    refresh interval, a request starts a refresh in a background thread and is answered
    from the snapshot held now. The refresh builds the new snapshot completely, then swaps
    it in with one assignment, so a reader sees the old snapshot or the new one, never a
    mix. A failed refresh (Chroma down) keeps the previous snapshot.
    """

    def __init__(
        self,
        store: IndexStore,
        name_similarity: float,
        refresh_interval_s: float,
        exact_dense_max: int = 200_000,
        files: SnapshotFiles | None = None,
        hnsw_ef_search: int = 0,
        story_rule: StoryRule | None = None,
    ):
        self.store = store
        self.story_rule = story_rule or StoryRule()
        self.hnsw_ef_search = hnsw_ef_search  # 0: Chroma's own
        self.files = files
        self._saving = threading.Event()  # set while this process writes a snapshot file
        self._read_from_file: CorpusSnapshot | None = None
        self.exact_dense_max = exact_dense_max
        self.name_similarity = name_similarity
        self.refresh_interval_s = refresh_interval_s
        self._snapshot: CorpusSnapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()  # one build at a time
        self._refreshing = threading.Event()  # set while a background refresh runs
        self._lock_for_flag = threading.Lock()

    def snapshot(self, force: bool = False) -> CorpusSnapshot:
        current = self._snapshot
        if current is None or force:
            return self.refresh()
        if time.monotonic() - self._checked_at >= self.refresh_interval_s:
            self._refresh_in_background()
        return current

    def refresh(self) -> CorpusSnapshot:
        """Check the manifest and rebuild if it moved, in the caller's thread."""
        with self._lock:
            fingerprint = self.store.fingerprint()
            current = self._snapshot
            if current is None:
                current = self._snapshot = self._read_file()
            if current is None or fingerprint != current.fingerprint:
                started = time.perf_counter()
                current = CorpusSnapshot.build(
                    self.store, self.name_similarity, previous=current, story_rule=self.story_rule
                )
                self._snapshot = current  # the swap
                log.info(
                    "index snapshot: %d documents, %d sentences (%.0f ms)",
                    len(current.documents),
                    len(current.sentences),
                    (time.perf_counter() - started) * 1000,
                )
                self._save_in_background(current)
            self._checked_at = time.monotonic()
            return current

    def save_now(self) -> Path | None:
        """Bring the snapshot up to date and write its file in this thread (the ingest CLI,
        so that the service's next start finds it); None when there is nothing new to
        write, or another process is writing it."""
        if self.files is None:
            return None
        self._saving.set()  # this thread writes it, not a background one
        try:
            snap = self.refresh()
            if snap is self._read_from_file:
                return None  # the file already holds it
            return self.files.write(snap.to_parts(), snap.vectors)
        finally:
            self._saving.clear()

    def _read_file(self) -> CorpusSnapshot | None:
        """The saved snapshot, if any: the next build then reads only what changed since."""
        if self.files is None:
            return None
        started = time.perf_counter()
        saved = self.files.read()
        if saved is None:
            return None
        snap = self._read_from_file = CorpusSnapshot.from_parts(*saved, self.story_rule)
        log.info(
            "index snapshot read from its file: %d documents, %d sentences (%.0f ms)",
            len(snap.documents),
            len(snap.sentences),
            (time.perf_counter() - started) * 1000,
        )
        return snap

    def _save_in_background(self, snap: CorpusSnapshot) -> None:
        """Keep ``snap`` on disk for the next process to start from, off the request path
        (one write at a time, at most one per ``files.save_interval_s``)."""
        files = self.files
        if files is None or self._saving.is_set() or not files.due():
            return
        self._saving.set()

        def write() -> None:
            try:
                started = time.perf_counter()
                path = files.write(snap.to_parts(), snap.vectors)
                if path is not None:
                    log.info(
                        "index snapshot saved to %s (%.0f ms)",
                        path.name,
                        (time.perf_counter() - started) * 1000,
                    )
            except Exception as exc:  # a full disk costs the next start its speed only
                log.warning("could not save the index snapshot: %s", exc)
            finally:
                self._saving.clear()

        threading.Thread(target=write, name="snapshot-save", daemon=True).start()

    def adopt(self, previous: IndexState) -> None:
        """Start from ``previous``'s snapshot (a new connection to the same index): it is
        served at once and checked against the manifest by the first refresh."""
        self._snapshot = previous.current
        self._checked_at = 0.0

    def _refresh_in_background(self) -> None:
        with self._lock_for_flag:
            if self._refreshing.is_set():
                return
            self._refreshing.set()
        threading.Thread(target=self._background_refresh, name="index-refresh", daemon=True).start()

    def _background_refresh(self) -> None:
        try:
            self.refresh()
        except Exception as exc:  # Chroma down or hung: keep serving what we have
            log.warning("index refresh failed; serving the previous snapshot: %s", exc)
            self._checked_at = time.monotonic()
        finally:
            self._refreshing.clear()

    def dense(
        self, snap: CorpusSnapshot, query: np.ndarray, n: int, within: Scope | None = None
    ) -> list[tuple[str, int, float]]:
        """Nearest sentences of ``snap``: (source, number, cosine similarity), best first.

        Exact, from the snapshot's vectors, up to ``exact_dense_max`` sentences: a Chroma
        query cost 7 ms plus 4 ms for its count on the 132-sentence seed corpus (load ~8),
        half of a retrieval; the exact product costs microseconds there. Above it, Chroma's
        HNSW index (sublinear) answers.
        """
        if within is not None:
            hits = self._dense_within(snap, query, n, within)
        elif len(snap.vectors) > self.exact_dense_max:
            found = self.store.query(query, min(n, len(snap.vectors)))
            hits = snap.carriers_of_keys(found, n)
        else:
            hits = snap.nearest(query, n)
        rows = snap.sentences
        return [(rows[i].source, rows[i].number, sim) for i, sim in hits]

    def _dense_within(
        self, snap: CorpusSnapshot, query: np.ndarray, n: int, scope: Scope
    ) -> list[tuple[int, float]]:
        """The ``n`` nearest sentences among ``scope``'s: exact over the scope's vectors
        when the snapshot or the scope is small enough for the exact product; else
        Chroma's HNSW answer for the whole archive, deep enough that ``n`` of its hits
        should fall in the scope (its share of the sentences, twice over), and the exact
        product over the scope when they do not."""
        positions = scope.positions
        if not len(positions) or not n:
            return []
        q = np.asarray(query, dtype=np.float32)
        if len(snap.vectors) > self.exact_dense_max and len(positions) > self.exact_dense_max:
            share = len(positions) / max(1, len(snap.sentences))
            depth = min(len(snap.vectors), int(np.ceil(2 * n / share)))
            found = snap.carriers_of_keys(self.store.query(query, depth), 4 * depth)
            inside = [(p, sim) for p, sim in found if scope.mask[p]][:n]
            if len(inside) == n:
                return inside
        if len(snap.vectors) <= self.exact_dense_max:
            sims = (snap.vectors @ q)[snap.row_vector[positions]]
        else:
            sims = snap.vectors[snap.row_vector[positions]] @ q
        best = top_n(sims, n)  # ties: the earlier position (``positions`` ascend)
        return [(int(positions[i]), float(sims[i])) for i in best]

    def warm_dense(self, snap: CorpusSnapshot, within_s: float = 120.0) -> None:
        """Above ``exact_dense_max``, Chroma answers the dense search from its HNSW index,
        which it loads from disk at its first query: 3.3 s at 176k sentences here, longer
        than one call's timeout on a server, so without this the first questions after a
        start would be 503s. Query once at start-up, again while the server loads it (for
        at most ``within_s``: a server that is down is reported by /ready, not waited for)."""
        if len(snap.vectors) <= self.exact_dense_max:
            return
        deadline = time.monotonic() + within_s
        while True:
            try:
                if self.hnsw_ef_search:  # before the query that loads the index
                    self.store.set_search_ef(self.hnsw_ef_search)
                self.store.query(np.asarray(snap.vectors[0], dtype=np.float32), 1)
                return
            except IndexUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)

    def invalidate(self) -> None:
        """After this process changed the index: rebuild now, in the writer's thread, so
        that its next read sees its write (readers keep the old snapshot meanwhile)."""
        self.refresh()

    @property
    def current(self) -> CorpusSnapshot | None:
        """The snapshot held now, without asking Chroma (for metrics)."""
        return self._snapshot
