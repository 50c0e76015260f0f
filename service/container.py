"""Builds the service's components from settings, once per app (no import-time globals)."""

from __future__ import annotations

import logging
import threading
from functools import cached_property

from service.answering.base import Answerer
from service.answering.extractive import ExtractiveAnswerer
from service.answering.scorer import SentenceScorer
from service.components.embedding_cache import make_cached
from service.components.embeddings import Embedder, make_embedder
from service.components.entity_cache import make_ingest_tagger
from service.components.reader import OnnxReader
from service.index.corpus import IndexState
from service.index.errors import EmbedderMismatch, IndexUnavailable
from service.index.snapshot_file import snapshot_files
from service.index.store import IndexStore, make_client
from service.index.stories import story_rule
from service.index.watch import ChromaWatch
from service.language.entities import EntityTagger
from service.retrieval.hybrid import HybridRetriever
from service.settings import Settings

log = logging.getLogger(__name__)


class Container:
    """Lazily built, shared components. The Chroma connection is retried on demand, so a
    Chroma server that is down at start-up or restarts later does not need a restart here."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._state: IndexState | None = None
        self._reconnect = False  # set by reset(): open a new connection, keep the snapshot
        self._lock = threading.Lock()
        # A Chroma server is watched from a thread of its own (started with the app).
        self.watch = ChromaWatch(settings.chroma) if settings.chroma.mode == "http" else None
        # The fitted sentence scorer, loaded (and checked against the features) at start-up.
        self.scorer = SentenceScorer.from_file(settings.answer.scorer_weights)
        # The trained reader, checked against its manifest at start-up: a missing or changed
        # file is a ReaderFileError naming it, never a silent fall-back to the rules.
        self.reader = OnnxReader(settings.reader.dir, settings.reader.threads)
        extractive = ExtractiveAnswerer(settings.answer, self.scorer)
        self.answerers: dict[str, Answerer] = {"extractive": extractive}
        if settings.llm.configured:  # prompts are loaded and checked here, at start-up
            from service.answering.llm_answerer import LLMAnswerer

            self.answerers["llm"] = LLMAnswerer.from_settings(
                settings, lambda: self.embedder, extractive
            )

    @cached_property
    def embedder(self) -> Embedder:
        return make_embedder(self.settings.embedding, self.settings.llm)

    @cached_property
    def ingest_embedder(self) -> Embedder:
        """The query embedder behind the sentence-vector cache, for the document API
        (questions are not cached: they rarely repeat and would grow the file forever)."""
        return make_cached(self.embedder, self.settings)

    @cached_property
    def ingest_tagger(self) -> EntityTagger | None:
        """The entity tagger for the document API, behind its label cache (the model
        itself loads at the first document written, not at start-up)."""
        return make_ingest_tagger(self.settings)

    def state(self) -> IndexState:
        """The index state, connecting to Chroma if not yet connected.

        Never waits long: while the watch says Chroma is down, at once; while another
        thread connects, at most ``chroma.timeout_s``."""
        if self.watch is not None and self.watch.down:
            raise IndexUnavailable(f"Chroma does not answer its heartbeat ({self.watch.reason})")
        state = self._state
        if state is not None and not self._reconnect:
            return state
        if not self._lock.acquire(timeout=self.settings.chroma.timeout_s):
            raise IndexUnavailable("Chroma is being connected to and does not answer yet")
        try:
            if self._state is None or self._reconnect:
                try:
                    store = IndexStore(
                        make_client(self.settings),
                        self.settings.chroma.collection,
                        self.embedder.name,
                    )
                except (IndexUnavailable, EmbedderMismatch):
                    raise  # a mismatch is no outage: it stops start-up (create_app)
                except Exception as exc:
                    raise IndexUnavailable(str(exc)) from exc
                fresh = IndexState(
                    store,
                    self.settings.retrieval.name_similarity,
                    self.settings.retrieval.refresh_interval_s,
                    self.settings.retrieval.exact_dense_max,
                    snapshot_files(self.settings, store),
                    self.settings.retrieval.hnsw_ef_search,
                    story_rule(self.settings),
                )
                if self._state is not None:
                    # Answer from the snapshot held, checked against the new connection in
                    # the background: no request rebuilds what has not changed.
                    fresh.adopt(self._state)
                self._state = fresh
                self._reconnect = False
            return self._state
        finally:
            self._lock.release()

    def index_sizes(self) -> tuple[int, int] | None:
        """(documents, sentences) of the snapshot this process holds; no Chroma call."""
        state = self._state
        snap = state.current if state is not None else None
        return None if snap is None else (len(snap.documents), len(snap.sentences))

    def reset(self) -> None:
        """Reconnect to Chroma at the next request (a restarted server may have recreated
        its collections), keeping the snapshot in memory until a refresh replaces it.

        No lock: called on the event loop, which must never wait for a thread that is
        itself waiting for a hung Chroma (one assignment is atomic)."""
        self._reconnect = True

    def retriever(self) -> HybridRetriever:
        return HybridRetriever(
            self.state(),
            self.embedder,
            self.settings.retrieval,
            self.reader,
            self.settings.reader.max_candidates,
        )
