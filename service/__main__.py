"""``python -m service``: serve the API with uvicorn on the configured host and port.

With ``server.workers`` > 1 (0: one per core, what ``make run`` asks for) uvicorn starts
that many worker processes on one socket. Each builds its own app from the same settings
and reads the one index of the Chroma server; each follows changes made by the others
through the index's generation marker (``IndexStore.fingerprint``), checked every
``retrieval.refresh_interval_s``. Why processes: answering is CPU-bound Python, so threads
of one process would share one core (the GIL).

Embedded Chroma is one process's (``service/index/ownership.py``): a folder written by one
process leaves another's embedded client serving stale ids. So in embedded mode the
service runs one worker whatever ``server.workers`` says, and says so in its log; several
workers need ``chroma.mode = "http"`` (docs/deployment.md).
"""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI

from service.app import create_app
from service.observability.logs import configure_logging
from service.server import configure_protocol, serve, serve_workers
from service.settings import Settings

log = logging.getLogger(__name__)


def worker_count(settings: Settings) -> int:
    """How many worker processes to start: one per usable core when ``workers`` is 0."""
    return settings.server.workers or len(os.sched_getaffinity(0))


def worker_app() -> FastAPI:
    """The app factory each worker process calls (settings are read in the worker)."""
    settings = Settings()
    configure_logging(settings.observability)
    configure_protocol(settings.server)
    return create_app(settings)


def main() -> None:
    settings = Settings()
    configure_logging(settings.observability)
    workers = worker_count(settings)
    if workers > 1 and settings.chroma.mode == "embedded":
        log.warning(
            "serving with 1 worker, not %d: embedded Chroma is one process's; "
            "run a Chroma server (NEWSQA_CHROMA__MODE=http) to serve from several",
            workers,
        )
        workers = 1
    if workers == 1:
        serve(create_app(settings), settings.server)
    else:
        serve_workers("service.__main__:worker_app", settings.server, workers)


if __name__ == "__main__":
    main()
