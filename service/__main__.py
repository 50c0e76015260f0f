"""``python -m service``: serve the API with uvicorn on the configured host and port.

With ``server.workers`` > 1 (0: one per core, what ``make run`` uses) uvicorn starts
that many worker processes on one socket. Each builds its own app from the same
settings and reads the one index on disk (or the Chroma server); each follows changes
made by the others through the index's generation marker (``IndexStore.fingerprint``),
checked every ``retrieval.refresh_interval_s``. Why processes: answering is CPU-bound
Python, so threads of one process would share one core (the GIL).
"""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI

from service.app import create_app
from service.observability.logs import configure_logging
from service.settings import Settings


def worker_count(settings: Settings) -> int:
    return settings.server.workers or len(os.sched_getaffinity(0))


def worker_app() -> FastAPI:
    """The app factory each worker process calls (settings are read in the worker)."""
    settings = Settings()
    configure_logging(settings.observability)
    return create_app(settings)


def main() -> None:
    settings = Settings()
    configure_logging(settings.observability)
    workers = worker_count(settings)
    # log_config=None keeps the JSON logging above; our request log replaces uvicorn's.
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=settings.server.host,
            port=settings.server.port,
            log_config=None,
            access_log=False,
        )
        return
    uvicorn.run(
        "service.__main__:worker_app",
        factory=True,
        workers=workers,
        host=settings.server.host,
        port=settings.server.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
