"""One poll of feeds: list their entries, fetch each entry's page, hand it to a writer.

The writer is the caller's (``python -m ingest``: its :class:`~ingest.pipeline.Ingester`
or the running service's document API; the service's scheduled poll: the document API's
own write path), so a feed's page is extracted and written exactly as an uploaded HTML
page is: same extraction, same content hash, same versioned write. A page keeps one
document name across polls (:func:`source_name`, from its URL), so the same content is
``unchanged`` and new content is a new version of that document.

Nothing one feed or page does stops the others: a feed that cannot be fetched or parsed
is reported and tried again at the next poll; a page that fails is an entry ``failed``;
a page robots.txt disallows is ``skipped``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from ingest.feeds import Entry, FeedError, canonical_url, parse_listing
from ingest.fetch import Disallowed, Fetcher, FetchError
from ingest.loaders import DocumentError
from ingest.pipeline import DocumentMeta, Ingester, Outcome, Summary
from service.settings import FeedsSettings

log = logging.getLogger(__name__)

Write = Callable[[str, bytes, DocumentMeta], Outcome]
_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
_UNSAFE_HOST = re.compile(r"[^A-Za-z0-9.]+")  # a host keeps its dots
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SITEMAP_DEPTH = 2  # an index of sitemaps of pages; deeper nesting is not in the protocol


@dataclass(frozen=True)
class FeedOutcome:
    url: str
    entries: int  # entries it listed (at most ``feeds.max_entries``)
    error: str | None = None


@dataclass
class PollReport:
    """What one poll did: per feed, and per entry (the ingest's :class:`Summary`)."""

    feeds: list[FeedOutcome] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    finished_at: float = 0.0  # time.time()

    def failed_feeds(self) -> list[FeedOutcome]:
        return [f for f in self.feeds if f.error is not None]

    def line(self) -> str:
        return (
            f"{len(self.feeds)} feeds ({len(self.failed_feeds())} failed), entries: "
            f"{self.summary.line()}; {len(self.skipped)} disallowed by robots.txt"
        )


def source_name(url: str) -> str:
    """The document name a page is cited by: its host and path as a plain file name
    (``ingest.loaders.SAFE_NAME_PATTERN``), unique by a hash of the whole URL."""
    parts = urlsplit(url)
    host = _UNSAFE_HOST.sub("-", (parts.netloc or "page").removeprefix("www.")).strip("-.")
    path = _UNSAFE.sub("-", f"{parts.path} {parts.query}").strip("-")
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]
    stem = f"{host[:60]}_{path[:100]}".rstrip("_-") if path else host[:60]
    return f"{stem or 'page'}-{digest}.html"


def write_with(ingester: Ingester) -> Write:
    """Feed pages written as ``Ingester.ingest_bytes`` writes a file; bad input (a page
    with no article text...) is that entry's failure."""

    def write(source: str, data: bytes, meta: DocumentMeta) -> Outcome:
        try:
            return ingester.ingest_bytes(source, data, meta)
        except DocumentError as exc:
            return Outcome(source, "failed", error=str(exc))

    return write


def poll_feeds(
    urls: list[str],
    settings: FeedsSettings,
    write: Write,
    max_page_bytes: int,
    progress: bool = False,
    stop: threading.Event | None = None,
    transport: httpx.BaseTransport | None = None,
) -> PollReport:
    """Poll ``urls`` once; ``stop`` set ends the poll between two entries."""
    from tqdm import tqdm

    started = time.perf_counter()
    report = PollReport()
    with Fetcher(settings, transport) as fetcher:
        entries: dict[str, Entry] = {}  # by URL: a page two feeds list is fetched once
        for url in urls:
            found, error = _list(fetcher, url, settings)
            report.feeds.append(FeedOutcome(url, len(found), error))
            if error is not None:
                log.warning("feed %s: %s", url, error)
            for entry in found:
                entries.setdefault(entry.url, entry)
        bar = tqdm(total=len(entries), desc="feed pages", unit="page", disable=not progress)
        for entry in entries.values():
            if stop is not None and stop.is_set():
                break
            _one(fetcher, entry, write, max_page_bytes, report)
            bar.update(1)
        bar.close()
    report.summary.seconds = time.perf_counter() - started
    report.finished_at = time.time()
    return report


def _list(fetcher: Fetcher, url: str, settings: FeedsSettings) -> tuple[list[Entry], str | None]:
    """A feed's entries, newest ``max_entries``; a sitemap index's sitemaps are read in
    turn (one that fails is reported, the others still count)."""
    pending = [(url, 0)]
    found: list[Entry] = []
    error: str | None = None
    while pending and len(found) < settings.max_entries:
        at, depth = pending.pop(0)
        try:
            got = fetcher.get(at, settings.max_feed_bytes)
            listing = parse_listing(got.content, got.url, got.content_type)
        except (FetchError, FeedError) as exc:
            error = error or (str(exc) if at == url else f"sitemap {at}: {exc}")
            continue
        found.extend(listing.entries)
        if depth < _SITEMAP_DEPTH:
            pending.extend((s.url, depth + 1) for s in listing.sitemaps)
    return found[: settings.max_entries], error


def _one(fetcher: Fetcher, entry: Entry, write: Write, max_bytes: int, report: PollReport) -> None:
    source = source_name(canonical_url(entry.url))
    try:
        page = fetcher.get(entry.url, max_bytes)
    except Disallowed as exc:
        log.info("skipped: %s", exc)
        report.skipped.append((entry.url, str(exc)))
        return
    except FetchError as exc:
        log.warning("failed: %s: %s", entry.url, exc)
        report.summary.outcomes.append(Outcome(source, "failed", error=str(exc)))
        return
    media = page.content_type.split(";")[0].strip().lower()
    if media and media not in _HTML_TYPES:
        error = f"{entry.url} is {media}, not an HTML page"
        log.warning("failed: %s", error)
        report.summary.outcomes.append(Outcome(source, "failed", error=error))
        return
    outcome = write(source, page.content, DocumentMeta(url=entry.url, date=entry.date))
    if outcome.status == "failed":
        log.warning("failed: %s: %s", entry.url, outcome.error)
    report.summary.outcomes.append(outcome)
