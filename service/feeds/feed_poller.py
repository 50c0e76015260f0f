"""The running service polls its feeds on a schedule (``feeds.interval_s``; off by default).

One thread per app runs the polls one after the other: the first at start-up, each next
one ``feeds.interval_s`` after the previous one ended, so two polls never overlap. With
several worker processes, one of them polls: the first to take an exclusive ``flock`` on
``<data.dir>/feeds.lock`` keeps it for its lifetime, and the others try again at each
interval (one takes over when the polling worker dies).

A poll writes every page through :meth:`DocumentsService.put`, the path ``POST
/documents`` takes: one write at a time in this process with the API's writes, each one
a versioned write (``service.index.store``) that readers never see half done. Each poll's
outcome goes to the logs and to ``/metrics`` (``newsqa_feed_*``).
"""

from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path
from typing import IO

from ingest.feed_sync import PollReport, poll_feeds
from ingest.pipeline import DocumentMeta, Outcome
from service.documents.documents_service import DocumentsService
from service.errors import ApiError
from service.index.errors import IndexUnavailable
from service.observability.metrics import Metrics
from service.settings import Settings

log = logging.getLogger(__name__)

LOCK_NAME = "feeds.lock"


class FeedPoller:
    def __init__(
        self, settings: Settings, documents: DocumentsService, metrics: Metrics | None
    ) -> None:
        self.settings = settings
        self.documents = documents
        self.metrics = metrics
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._polling = threading.Lock()
        self._lock_file: IO[str] | None = None
        self.last: PollReport | None = None  # the last poll's report (tests, logs)

    @property
    def enabled(self) -> bool:
        return bool(self.settings.feeds.interval_s) and bool(self.settings.feeds.urls)

    def start(self) -> None:
        if not self.enabled or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="feed-poller", daemon=True)
        self._thread.start()
        log.info(
            "polling %d feeds every %.0f s",
            len(self.settings.feeds.urls),
            self.settings.feeds.interval_s or 0,
        )

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask the poll to end after the page it is on, and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        if self._lock_file is not None:
            self._lock_file.close()  # closing releases the flock
            self._lock_file = None

    def _run(self) -> None:
        interval = float(self.settings.feeds.interval_s or 0)
        while not self._stop.is_set():
            if self._holds_lock():
                self.poll_once()
            if self._stop.wait(interval):
                return

    def _holds_lock(self) -> bool:
        """Whether this process is the one that polls (see the module docstring)."""
        if self._lock_file is not None:
            return True
        path = Path(self.settings.data.dir) / LOCK_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            log.debug("another process polls the feeds")
            return False
        self._lock_file = handle
        return True

    def poll_once(self) -> PollReport | None:
        """One poll now, unless one is running (then None: polls never overlap)."""
        if not self._polling.acquire(blocking=False):
            return None
        try:
            report = poll_feeds(
                self.settings.feeds.urls,
                self.settings.feeds,
                self._write,
                self.settings.ingest.max_document_bytes,
                stop=self._stop,
            )
        except Exception:  # a bug or a dead index: logged, counted, tried at the next poll
            log.exception("feed poll failed")
            if self.metrics is not None:
                self.metrics.poll_crashed()
            return None
        finally:
            self._polling.release()
        self.last = report
        for feed in report.failed_feeds():
            log.warning("feed %s failed (tried again at the next poll): %s", feed.url, feed.error)
        log.info("feed poll: %s", report.line())
        if self.metrics is not None:
            self.metrics.observe_poll(report)
        return report

    def _write(self, source: str, data: bytes, meta: DocumentMeta) -> Outcome:
        try:
            outcome, _entry = self.documents.put(source, data, meta)
        except ApiError as exc:  # 422 no text, 413 too large, 409 index full...
            return Outcome(source, "failed", error=exc.detail)
        except IndexUnavailable as exc:
            return Outcome(source, "failed", error=f"index unavailable: {exc}")
        return outcome
