"""Fetching feeds and pages from other people's sites, politely.

One :class:`Fetcher` per poll. Every request it makes:

- says who it is (``feeds.user_agent``);
- is allowed by the site's robots.txt (read once per host per poll with the standard
  library's ``urllib.robotparser``; a robots.txt that cannot be read because the server
  fails or does not answer counts as "disallow all" for that poll, as RFC 9309 asks, and
  401/403 too, as ``RobotFileParser.read`` has it; any other 4xx means no rules);
- waits its turn per host (``feeds.per_site_interval_s``, or the site's ``Crawl-delay``
  when longer);
- gives up after ``feeds.connect_timeout_s`` to connect, ``feeds.read_timeout_s`` of
  silence or ``feeds.total_timeout_s`` in all, and is retried with exponential backoff
  (tenacity) when it failed in a way that may pass: no connection, a timeout, 429 or 5xx;
- follows redirects itself, hop by hop, so that every hop is checked against robots.txt
  and the rate limit (httpx's own redirect following would skip both).
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from service.settings import FeedsSettings

log = logging.getLogger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRYABLE = frozenset({429, 500, 502, 503, 504})
_DISALLOW_ALL = ["User-agent: *", "Disallow: /"]


class FetchError(Exception):
    """A feed or page that could not be fetched, with a reason for the logs."""


class Disallowed(FetchError):
    """robots.txt does not allow this agent to fetch the URL."""


class _Retryable(FetchError):
    """An answer worth asking again for (429, 5xx)."""


@dataclass(frozen=True)
class Fetched:
    url: str  # where the content came from, after redirects
    content: bytes
    content_type: str


def _site(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _may_pass(exc: BaseException) -> bool:
    return isinstance(exc, _Retryable | httpx.TransportError)


class Fetcher:
    """Polite GETs for one poll (robots.txt and the rate limit's clock are per poll)."""

    def __init__(self, settings: FeedsSettings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self.http = httpx.Client(
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(
                settings.read_timeout_s, connect=settings.connect_timeout_s, pool=None
            ),
            follow_redirects=False,
            transport=transport,
        )
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._next_at: dict[str, float] = {}  # site -> when it may be asked again
        self._interval: dict[str, float] = {}  # site -> its interval (Crawl-delay)
        self._clock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the public call --------------------------------------------------------------
    def get(self, url: str, max_bytes: int) -> Fetched:
        """The content at ``url``; raises :class:`FetchError` (:class:`Disallowed` for
        robots.txt) when it cannot be had. A 4xx other than 429 is final at once."""
        for _hop in range(self.settings.max_redirects + 1):
            if not self.allowed(url):
                raise Disallowed(f"robots.txt of {_site(url)} disallows {url}")
            status, headers, content = self._get_retried(url, max_bytes)
            if status in _REDIRECTS and "location" in headers:
                url = urljoin(url, headers["location"])
                continue
            if status != 200:
                raise FetchError(f"HTTP {status} for {url}")
            return Fetched(url, content, headers.get("content-type", ""))
        raise FetchError(f"more than {self.settings.max_redirects} redirects from {url}")

    # -- robots.txt -------------------------------------------------------------------
    def allowed(self, url: str) -> bool:
        site = _site(url)
        robots = self._robots.get(site)
        if robots is None:
            robots = self._robots[site] = self._read_robots(site)
        return robots.can_fetch(self.settings.user_agent, url)

    def _read_robots(self, site: str) -> urllib.robotparser.RobotFileParser:
        robots = urllib.robotparser.RobotFileParser(f"{site}/robots.txt")
        try:
            status, _headers, content = self._get_retried(f"{site}/robots.txt", 512 * 1024)
        except (FetchError, httpx.HTTPError) as exc:
            log.warning("robots.txt of %s unreadable (%s): nothing fetched there", site, exc)
            robots.parse(_DISALLOW_ALL)
            return robots
        if status in (401, 403) or status >= 500:
            robots.parse(_DISALLOW_ALL)
        elif status == 200:
            robots.parse(content.decode("utf-8", errors="replace").splitlines())
            delay = robots.crawl_delay(self.settings.user_agent)
            if delay is not None:  # counted from the robots.txt request just made
                self._interval[site] = float(delay)
                with self._clock:
                    self._next_at[site] = time.monotonic() + float(delay)
        else:  # 404 and the other 4xx: the site has no rules for us
            robots.parse([])
        return robots

    # -- one request, retried ------------------------------------------------------------
    def _get_retried(self, url: str, max_bytes: int) -> tuple[int, dict[str, str], bytes]:
        def note(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.info("retrying %s (attempt %d failed: %s)", url, state.attempt_number, exc)

        retrying = Retrying(
            retry=retry_if_exception(_may_pass),
            stop=stop_after_attempt(self.settings.retries + 1),
            wait=wait_exponential(multiplier=self.settings.backoff_s, max=30.0),
            before_sleep=note,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(url, max_bytes)
        except _Retryable as exc:
            return exc.args[1], {}, b""  # the last answer, given up on
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out fetching {url}: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise FetchError(f"could not fetch {url}: {exc}") from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _get_once(self, url: str, max_bytes: int) -> tuple[int, dict[str, str], bytes]:
        self._wait_turn(url)
        deadline = time.monotonic() + self.settings.total_timeout_s
        with self.http.stream("GET", url) as response:
            if response.status_code in _RETRYABLE:
                raise _Retryable(f"HTTP {response.status_code} for {url}", response.status_code)
            chunks: list[bytes] = []
            size = 0
            if response.status_code == 200:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(f"{url} is larger than {max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout(
                            f"{url} took over {self.settings.total_timeout_s} s"
                        )
                    chunks.append(chunk)
            return response.status_code, dict(response.headers), b"".join(chunks)

    def _wait_turn(self, url: str) -> None:
        """Sleep until this site may be asked again (``feeds.per_site_interval_s``)."""
        site = _site(url)
        interval = max(self.settings.per_site_interval_s, self._interval.get(site, 0.0))
        with self._clock:
            now = time.monotonic()
            at = max(now, self._next_at.get(site, 0.0))
            self._next_at[site] = at + interval
        if at > now:
            time.sleep(at - now)
