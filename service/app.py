"""The app factory: ``create_app(settings)`` builds a fully wired FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from service.ask.ask_router import router as ask_router
from service.container import Container
from service.documents.documents_router import router as documents_router
from service.documents.documents_service import DocumentsService
from service.edge import install_edge
from service.errors import install_error_handlers
from service.feeds.feed_poller import FeedPoller
from service.health.health_router import router as health_router
from service.index import ownership
from service.index.errors import EmbedderMismatch, IndexUnavailable
from service.middleware import install_middleware
from service.observability.metrics import Metrics
from service.observability.metrics_router import router as metrics_router
from service.observability.observed_ask import ObservedAskService
from service.openai_compat.openai_router import router as openai_router
from service.openapi_schema import install_openapi
from service.settings import Settings
from service.sources.reader_router import router as reader_router
from service.sources.sources_router import router as sources_router
from service.stories.stories_router import router as stories_router
from service.widget import widget_router

log = logging.getLogger(__name__)

DESCRIPTION = """Answers questions about a corpus of news articles. Every claim in an answer
carries a citation `[n]` to a file and a sentence number that `GET /sources/{source}/sentences/{n}`
returns word for word."""


WAIT_FOR_INGEST_S = 600.0  # a `python -m ingest` still writing the embedded folder


def own_url(settings: Settings) -> str:
    """Where a process on this machine reaches this service (for `python -m ingest`)."""
    host = settings.server.host
    if host in ("0.0.0.0", "", "*"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.server.port}"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    container = Container(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        embedded = settings.chroma.mode == "embedded"
        if embedded:  # this process writes the folder; `python -m ingest` goes through us
            await run_in_threadpool(
                ownership.wait_for_owner,
                settings.chroma_path,
                "service",
                own_url(settings),
                WAIT_FOR_INGEST_S,
            )
        if container.watch is not None:
            container.watch.start()

        # Load the embedding model and the index before the first request rather than
        # during it: with several workers, /ready reaches one of them, and the others
        # would otherwise build their snapshot on their first /ask.
        # An index built by another embedding model (or dimension) than the one configured
        # stops start-up with the error, which names `python -m ingest --reembed`, as a
        # reader file that does not match its manifest does: answers from mixed vectors
        # would be wrong without any sign of it.
        def warm_up() -> None:
            dimension = container.embedder.embed(["warm up"]).shape[1]
            try:
                state = container.state()
                state.store.check_dimension(dimension)
                state.warm_dense(state.snapshot())  # the snapshot comes prepared
            except IndexUnavailable:
                log.warning("index unavailable at start-up; /ready reports it")

        try:
            try:
                await run_in_threadpool(warm_up)
            except EmbedderMismatch as exc:
                log.error("cannot start: %s", exc)
                raise
            poller.start()  # off unless feeds.interval_s and feeds.urls are set
            yield
        finally:
            await run_in_threadpool(poller.stop)
            if container.watch is not None:
                container.watch.stop()
            if embedded:
                ownership.release(settings.chroma_path)

    app = FastAPI(
        title="newsqa",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.container = container
    # Per-app metrics registry: create_app may run many times in one process (tests).
    metrics = Metrics(container.index_sizes) if settings.observability.metrics_enabled else None
    app.state.metrics = metrics
    app.state.ask_service = ObservedAskService(container, metrics)
    app.state.documents_service = documents = DocumentsService(container)
    # Scheduled feed polls write through the document API's own write path.
    app.state.feed_poller = poller = FeedPoller(settings, documents, metrics)
    install_error_handlers(app)
    install_openapi(app, settings)
    install_edge(app, settings, metrics)  # auth, rate limits, request log: inside the next
    install_middleware(app, settings)
    app.include_router(ask_router)
    app.include_router(openai_router)
    app.include_router(sources_router)
    app.include_router(reader_router)
    app.include_router(stories_router)
    app.include_router(health_router)
    if settings.documents.enabled:
        app.include_router(documents_router)
    if metrics is not None:
        app.include_router(metrics_router)
    app.include_router(widget_router)
    return app
