"""Removing unused sentence vectors in the background, after API writes.

Replacing or removing a document can leave vectors of texts no document carries any
more (``IndexStore.collect_garbage``). The sweep reads the whole index, so the documents
API does not run it per request: a write asks for one, and one runs in a background
thread, at most once per ``interval_s``, however many writes asked meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from service.index.store import IndexStore

log = logging.getLogger(__name__)


class SweepSoon:
    """Runs ``store().collect_garbage()`` soon after :meth:`request`, off the caller's
    thread; requests arriving while a sweep runs or waits are served by the next one."""

    def __init__(self, store: Callable[[], IndexStore], interval_s: float = 30.0) -> None:
        self._store = store
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._wanted = False
        self._running = False
        self._last = 0.0
        self.removed = 0  # vectors removed by this process's sweeps (for tests, logs)

    def request(self) -> None:
        with self._lock:
            self._wanted = True
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._run, name="vector-sweep", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(max(0.0, self._last + self.interval_s - time.monotonic()))
            with self._lock:
                if not self._wanted:
                    self._running = False
                    return
                self._wanted = False
            self._last = time.monotonic()
            try:
                removed = self._store().collect_garbage()
            except Exception as exc:  # Chroma down: unused vectors wait for the next sweep
                log.warning("could not remove unused sentence vectors: %s", exc)
                continue
            self.removed += removed
            if removed:
                log.info("removed %d sentence vectors no document uses", removed)
