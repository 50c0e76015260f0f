"""``python -m service``: serve the API with uvicorn on the configured host and port.

With ``server.workers`` > 1 (0: one per core, what ``make run`` asks for) uvicorn starts
that many worker processes on one socket. Each builds its own app from the same settings
and reads the one index of the Chroma server; each follows changes made by the others
through the index's generation marker (``IndexStore.fingerprint``), checked every
``retrieval.refresh_interval_s``. Why processes: answering is CPU-bound Python, so threads
of one process would share one core (the GIL).

Embedded Chroma is one process's (``service/index/ownership.py``): a folder written by one
process leaves another's embedded client serving stale ids. So with several workers on an
embedded index, this process owns the folder and serves it with Chroma's own server on
loopback (``service/index/managed_server.py``), and the workers use that server; with one
worker the service opens the folder in-process, as before (docs/deployment.md).
"""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI

from service.app import WAIT_FOR_INGEST_S, create_app, own_url
from service.components.embeddings import make_embedder
from service.components.reader import ReaderFileError, read_manifest
from service.index.errors import EmbedderMismatch
from service.index.managed_server import chroma_server_over, point_workers_at
from service.index.store import IndexStore, make_client
from service.observability.logs import configure_logging
from service.server import configure_protocol, serve, serve_workers
from service.settings import Settings

log = logging.getLogger(__name__)


def worker_count(settings: Settings) -> int:
    """How many worker processes to start: one per usable core when ``workers`` is 0."""
    return settings.server.workers or len(os.sched_getaffinity(0))


def share_blas_threads(workers: int) -> None:
    """Give each worker its share of the cores for numpy's BLAS (the exact dense search is
    a matrix-vector product over every sentence vector). OpenBLAS starts one thread per
    core in every process; with a worker per core, 8 concurrent questions at 10k articles
    then made 16.7 req/s against 46.5 with one thread each (quiet machine). Read once when
    a worker imports numpy, so it is set here, before they start; an explicit
    ``OPENBLAS_NUM_THREADS`` is left as it is."""
    cores = len(os.sched_getaffinity(0))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(max(1, cores // workers)))


def worker_app() -> FastAPI:
    """The app factory each worker process calls (settings are read in the worker)."""
    settings = Settings()
    configure_logging(settings.observability)
    configure_protocol(settings.server)
    return create_app(settings)


def check_embedding(settings: Settings) -> None:
    """Before workers start: an index built by another embedding model stops the service
    in one line naming ``python -m ingest --reembed``, rather than in every worker after
    it has loaded its models (each worker's start-up checks it too, ``create_app``).
    Only the model's id is compared here (its dimension needs the model loaded); a Chroma
    that does not answer is left to the workers (``/ready`` reports it)."""
    name = make_embedder(settings.embedding, settings.llm).name  # no model load
    try:
        IndexStore(make_client(settings), settings.chroma.collection, name)
    except EmbedderMismatch as exc:
        raise SystemExit(f"cannot start: {exc}") from None
    except Exception as exc:
        log.warning("index not checked before the workers start: %s", exc)


def main() -> None:
    settings = Settings()
    configure_logging(settings.observability)
    try:  # checked before any worker starts: one clear line, not a traceback per worker
        read_manifest(settings.reader.dir)
    except ReaderFileError as exc:
        raise SystemExit(f"cannot start: {exc}") from None
    workers = worker_count(settings)
    if workers == 1:
        # An embedded folder is opened only once this process owns it (the app's start-up
        # waits for an ingest still writing it), so there the app's start-up checks the model.
        if settings.chroma.mode == "http":
            check_embedding(settings)
        serve(create_app(settings), settings.server)
        return
    share_blas_threads(workers)
    if settings.chroma.mode == "embedded":
        folder = settings.chroma_path
        with chroma_server_over(folder, own_url(settings), WAIT_FOR_INGEST_S) as port:
            log.info("%d workers share the embedded index through a Chroma server", workers)
            point_workers_at(port)
            check_embedding(Settings())  # through that server: this process opens no folder
            serve_workers("service.__main__:worker_app", settings.server, workers)
    else:
        check_embedding(settings)
        serve_workers("service.__main__:worker_app", settings.server, workers)


if __name__ == "__main__":
    main()
