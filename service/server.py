"""uvicorn, configured so that no connection can hold the process's sockets for long.

uvicorn times out idle kept-alive connections (``timeout_keep_alive``) but has no limit on
how long a client may take to send its headers: a client sending one header byte every few
seconds keeps a connection (and a file descriptor) forever, and a few hundred of them
exhaust the process. uvicorn offers no setting for it (0.54), so the protocol below, a
small subclass of uvicorn's httptools protocol, closes a connection whose request headers
are not complete within ``server.header_timeout_s`` of the connection opening or of the
previous response ending. Bodies are bounded in time by ``service.protection.body_limit``.
"""

from __future__ import annotations

import asyncio
import logging

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.settings import ServerSettings

log = logging.getLogger(__name__)


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """Closes connections that take longer than ``header_timeout_s`` to send headers."""

    header_timeout_s = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)  # the next request's headers are already here
        super().on_response_complete()
        if not pipelined and not self.transport.is_closing():
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            log.info("closing a connection: no complete request headers in time")
            self.transport.close()


def protocol_for(server: ServerSettings) -> type[HeaderTimeoutProtocol]:
    return type(
        "ConfiguredHeaderTimeoutProtocol",
        (HeaderTimeoutProtocol,),
        {"header_timeout_s": server.header_timeout_s},
    )


def uvicorn_config(
    app: FastAPI | str, server: ServerSettings, workers: int | None = None
) -> uvicorn.Config:
    """The uvicorn configuration ``python -m service`` runs (the tests run the same).

    ``app`` is an app, or with ``workers`` the import path of an app factory. Worker
    processes are spawned with a pickled config, so there the protocol is named by import
    path and each worker's factory sets its timeout (``configure_protocol``).
    """
    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        workers=workers,
        host=server.host,
        port=server.port,
        http=protocol_for(server) if workers is None else f"{__name__}:HeaderTimeoutProtocol",
        timeout_keep_alive=server.keep_alive_timeout_s,  # type: ignore[arg-type]
        # The service's JSON logging stays; its request log replaces uvicorn's access log.
        log_config=None,
        access_log=False,
    )


def configure_protocol(server: ServerSettings) -> None:
    """In a worker process: the header timeout of the protocol named by import path."""
    HeaderTimeoutProtocol.header_timeout_s = server.header_timeout_s


def serve(app: FastAPI, server: ServerSettings) -> None:
    uvicorn.Server(uvicorn_config(app, server)).run()


def serve_workers(factory: str, server: ServerSettings, workers: int) -> None:
    """``workers`` processes on one socket, each calling ``factory``: uvicorn's own
    supervisor, as ``uvicorn.run(..., workers=n)`` runs it."""
    from uvicorn.supervisors import Multiprocess

    config = uvicorn_config(factory, server, workers)
    Multiprocess(config, sockets=[config.bind_socket()]).run()
