"""The app factory: ``create_app(settings)`` builds a fully wired FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from service.ask.ask_router import router as ask_router
from service.ask.ask_service import AskService
from service.container import Container
from service.errors import install_error_handlers
from service.health.health_router import router as health_router
from service.middleware import install_middleware
from service.settings import Settings
from service.sources.sources_router import router as sources_router

log = logging.getLogger(__name__)

DESCRIPTION = """Answers questions about a corpus of news articles. Every claim in an answer
carries a citation `[n]` to a file and a sentence number that `GET /sources/{source}/sentences/{n}`
returns word for word."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    container = Container(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load the embedding model before the first request rather than during it.
        await run_in_threadpool(container.embedder.embed, ["warm up"])
        yield

    app = FastAPI(
        title="newsqa",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.container = container
    app.state.ask_service = AskService(container)
    install_error_handlers(app)
    install_middleware(app, settings)
    app.include_router(ask_router)
    app.include_router(sources_router)
    app.include_router(health_router)
    return app
