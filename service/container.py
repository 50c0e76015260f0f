"""Builds the service's components from settings, once per app (no import-time globals)."""

from __future__ import annotations

import logging
import threading
from functools import cached_property

from service.answering.base import Answerer
from service.answering.extractive import ExtractiveAnswerer
from service.components.embedding_cache import make_cached
from service.components.embeddings import Embedder, make_embedder
from service.index.corpus import IndexState
from service.index.errors import IndexUnavailable
from service.index.store import IndexStore, make_client
from service.retrieval.hybrid import HybridRetriever
from service.settings import Settings

log = logging.getLogger(__name__)


class Container:
    """Lazily built, shared components. The Chroma connection is retried on demand, so a
    Chroma server that is down at start-up or restarts later does not need a restart here."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._state: IndexState | None = None
        self._lock = threading.Lock()
        extractive = ExtractiveAnswerer(settings.answer)
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

    def state(self) -> IndexState:
        """The index state, connecting to Chroma if not yet connected."""
        if self._state is not None:
            return self._state
        with self._lock:
            if self._state is None:
                try:
                    store = IndexStore(
                        make_client(self.settings),
                        self.settings.chroma.collection,
                        self.embedder.name,
                    )
                except IndexUnavailable:
                    raise
                except Exception as exc:
                    raise IndexUnavailable(str(exc)) from exc
                self._state = IndexState(
                    store,
                    self.settings.retrieval.name_similarity,
                    self.settings.retrieval.refresh_interval_s,
                )
            return self._state

    def index_sizes(self) -> tuple[int, int] | None:
        """(documents, sentences) of the snapshot this process holds; no Chroma call."""
        state = self._state
        snap = state.current if state is not None else None
        return None if snap is None else (len(snap.documents), len(snap.sentences))

    def reset(self) -> None:
        """Drop the Chroma connection so that the next request reconnects."""
        with self._lock:
            self._state = None

    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.state(), self.embedder, self.settings.retrieval)
