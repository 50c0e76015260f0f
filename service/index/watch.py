"""A Chroma server's health, watched in the background, read by requests without waiting.

A hung Chroma server (paused, overloaded, a network partition that drops packets) does not
refuse connections: each call waits for its timeout. Without a watch, every request would
wait that long before its 503, and requests would pile up in worker threads. A daemon
thread sends the server's heartbeat every ``INTERVAL_S`` with a short timeout; while it
fails, requests that need Chroma answer 503 at once (``Container.state``), and when it
answers again they go through again, with no restart. A refused connection (the server is
gone) counts at once; a timeout only when it repeats (``TIMEOUTS_TO_DOWN``), so that a
busy machine's slow heartbeat does not turn requests away. Embedded Chroma lives in this
process and cannot hang apart from it: no watch is needed there.
"""

from __future__ import annotations

import logging
import threading
import time

import httpx

from service.index.chroma_http import HEARTBEAT_PATH, server_url
from service.settings import ChromaSettings

log = logging.getLogger(__name__)

INTERVAL_S = 0.25
HEARTBEAT_TIMEOUT_S = 1.0  # a heartbeat is tiny: a healthy server answers in milliseconds
TIMEOUTS_TO_DOWN = 2


class ChromaWatch:
    def __init__(self, chroma: ChromaSettings) -> None:
        self.url = server_url(chroma) + HEARTBEAT_PATH
        self.timeout = httpx.Timeout(min(HEARTBEAT_TIMEOUT_S, chroma.timeout_s))
        self.down_since: float | None = None
        self.reason = ""
        self.timeouts = 0  # consecutive
        self.downs = 0  # times declared down (for logs and the fault benchmark)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # One client for every heartbeat: building an httpx.Client builds an SSL context
        # (the CA bundle parsed anew), measured at ~33 ms of CPU here; four heartbeats a
        # second in each worker cost more CPU than the requests. Its pool drops a dead
        # connection before reuse, so a killed or restarted server is still seen at once.
        self._http = httpx.Client(timeout=self.timeout)

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="chroma-watch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is None:
            self._http.close()  # else the thread closes it when it ends

    def check(self) -> None:
        """One heartbeat; updates ``down``."""
        try:
            self._http.get(self.url).raise_for_status()
        except httpx.HTTPError as exc:
            self.timeouts = self.timeouts + 1 if isinstance(exc, httpx.TimeoutException) else 0
            if self.timeouts == 1:
                return  # one slow heartbeat: maybe a busy machine; the next one decides
            if self.down_since is None:
                self.down_since = time.monotonic()
                self.downs += 1
                log.warning("Chroma does not answer its heartbeat (%s): %s", self.url, exc)
            self.reason = type(exc).__name__
            return
        self.timeouts = 0
        if self.down_since is not None:
            log.info("Chroma answers again after %.1f s", time.monotonic() - self.down_since)
        self.down_since = None

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self.check()
                self._stop.wait(INTERVAL_S)
        finally:
            self._http.close()
