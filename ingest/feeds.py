"""What a feed or a sitemap lists: the pages to fetch, with their dates.

RSS and Atom are parsed by ``feedparser``, the well-kept library for exactly this (RSS
0.9x-2.0, RSS 1.0, Atom 0.3/1.0, relative links, the dozen date formats feeds use).
feedparser does not read sitemaps, and a sitemap is a small fixed XML schema
(sitemaps.org: ``urlset`` of ``url``/``loc``/``lastmod``, ``sitemapindex`` of
``sitemap``/``loc``), so it is read with the standard library's ``xml.etree``: no
dependency for a dozen lines. That parser resolves no external entities, and the expat
our Pythons bundle (>= 2.4.1) refuses entity-expansion bombs, so an untrusted sitemap is
safe to parse; the feed's size is capped before parsing (``feeds.max_feed_bytes``).
"""

from __future__ import annotations

import gzip
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser

_SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
_ISO_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$)")
# What feedparser flags ("bozo") about feeds it read all the same.
_BENIGN = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


class FeedError(ValueError):
    """Content that is neither a readable feed nor a sitemap."""


@dataclass(frozen=True)
class Entry:
    """One page a feed lists: its URL and its published date (YYYY-MM-DD) if known."""

    url: str
    date: str | None = None


@dataclass
class Listing:
    """A feed's or sitemap's entries, and (a sitemap index) the sitemaps it points to."""

    entries: list[Entry] = field(default_factory=list)
    sitemaps: list[Entry] = field(default_factory=list)
    kind: str = "feed"  # "rss20", "atom10"... as feedparser names it, or "sitemap"


def canonical_url(url: str) -> str:
    """The URL that identifies a page: no fragment, no tracking parameters (utm_*...),
    so that the same article linked twice is one document."""
    parts = urlsplit(url.strip())
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), "")
    )


def _iso_date(text: str | None) -> str | None:
    match = _ISO_DATE.match(text or "")
    return match.group(1) if match else None


def parse_listing(data: bytes, url: str, content_type: str = "") -> Listing:
    """The entries of the feed or sitemap at ``url`` (for relative links), in its order
    for a feed and newest first for a sitemap. Raises :class:`FeedError` when ``data``
    is neither a feed with entries nor a sitemap."""
    if data[:2] == b"\x1f\x8b":  # a sitemap.xml.gz served as a file, not as an encoding
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise FeedError(f"a gzip file that does not decompress: {exc}") from exc
    root = _sitemap_root(data)
    if root is not None:
        return _sitemap(root, url)
    return _feed(data, url, content_type)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _sitemap_root(data: bytes) -> ET.Element | None:
    head = data[:2048].lstrip()
    if b"urlset" not in head and b"sitemapindex" not in head:
        return None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FeedError(f"a sitemap that is not well-formed XML: {exc}") from exc
    return root if _local(root.tag) in _SITEMAP_ROOTS else None


def _child_text(el: ET.Element, name: str) -> str | None:
    """The text of the first descendant named ``name`` in any namespace (``news:`` too)."""
    for child in el.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def _sitemap(root: ET.Element, url: str) -> Listing:
    """``urlset``: its pages, dated by ``news:publication_date`` or else ``lastmod``;
    ``sitemapindex``: the sitemaps it names. Newest first; undated ones last."""
    item = "url" if _local(root.tag) == "urlset" else "sitemap"
    found: list[Entry] = []
    for el in root:
        if _local(el.tag) != item:
            continue
        loc = _child_text(el, "loc")
        if loc:
            date = _iso_date(_child_text(el, "publication_date") or _child_text(el, "lastmod"))
            found.append(Entry(canonical_url(urljoin(url, loc)), date))
    found.sort(key=lambda e: e.date or "", reverse=True)  # stable: undated keep their order
    if item == "url":
        return Listing(entries=found, kind="sitemap")
    return Listing(sitemaps=found, kind="sitemapindex")


def _feed(data: bytes, url: str, content_type: str) -> Listing:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(data, response_headers=headers)
    entries: list[Entry] = []
    for item in parsed.entries:
        link = item.get("link")
        if not link:
            continue
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        date = time.strftime("%Y-%m-%d", stamp) if stamp else None
        entries.append(Entry(canonical_url(urljoin(url, link)), date))
    version = parsed.get("version") or ""
    problem = parsed.get("bozo_exception")
    if isinstance(problem, _BENIGN):  # a feed served as text/html, a wrong charset...
        problem = None
    if not entries and (problem or not version):  # an empty feed is no error
        raise FeedError(f"not a feed ({problem or 'no feed elements'})")
    return Listing(entries=entries, kind=version or "feed")
