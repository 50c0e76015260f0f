"""Feeds and sitemaps, fetched over real HTTP from a site the test serves on a real port,
parsed by the real parsers and written into real Chroma (``ingest.feed_sync``)."""

from __future__ import annotations

import gzip
import itertools
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.feed_sync import PollReport, poll_feeds, source_name, write_with
from ingest.feeds import FeedError, canonical_url, parse_listing
from ingest.loaders import SAFE_NAME_PATTERN
from ingest.pipeline import Ingester
from service.app import create_app
from service.settings import Settings
from tests.conftest import ROOT, make_ingester, make_settings
from tests.feed_site import HANG, Flaky, Page, Site, article, redirect, rss

# Short client timeouts, one quick retry, no per-site wait: a hanging page costs ~1 s.
FAST = {
    "connect_timeout_s": 2.0,
    "read_timeout_s": 0.5,
    "total_timeout_s": 5.0,
    "retries": 1,
    "backoff_s": 0.0,
    "per_site_interval_s": 0.0,
    "user_agent": "newsqa-test-agent/1.0",
}

HARBOUR = article(
    "Harbour reopens after storm",
    "The harbour of Norvale reopened on Friday, the port authority said.",
    "Ships that had waited offshore for three days came in at dawn.",
)
BRIDGE = article(
    "Bridge closes for repairs",
    "The Kestrel Bridge will close for repairs on 14 March, the city council said.",
    "Buses will run on the old ferry road while the work lasts.",
)


@pytest.fixture()
def site() -> Iterator[Site]:
    s = Site().start()
    s.routes["/robots.txt"] = Page(
        "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    yield s
    s.stop()


def feed_settings(tmp_path: Path, **feeds: object) -> Settings:
    return make_settings(tmp_path, feeds={**FAST, **feeds})


def poll(settings: Settings, ingester: Ingester, *urls: str) -> PollReport:
    return poll_feeds(
        list(urls), settings.feeds, write_with(ingester), settings.ingest.max_document_bytes
    )


def statuses(report: PollReport) -> dict[str, str]:
    return {o.source: o.status for o in report.summary.outcomes}


def test_an_rss_poll_indexes_good_pages_and_survives_every_fault(
    tmp_path: Path, site: Site
) -> None:
    u = site.url
    site.routes["/feed.xml"] = rss(
        ("Harbour", f"{u}/news/harbour?utm_source=rss#top", "Tue, 03 Dec 2024 09:30:00 GMT"),
        ("Missing", f"{u}/news/missing", "Tue, 03 Dec 2024 09:00:00 GMT"),
        ("Slow", f"{u}/news/slow", "Tue, 03 Dec 2024 08:00:00 GMT"),
        ("Moved", f"{u}/news/moved", "Mon, 02 Dec 2024 18:00:00 GMT"),
        ("Secret", f"{u}/private/secret", "Mon, 02 Dec 2024 17:00:00 GMT"),
        ("Moved away", f"{u}/news/into-private", "Mon, 02 Dec 2024 16:00:00 GMT"),
    )
    site.routes["/broken.xml"] = Page("<html><body><p>Not a feed at all", content_type="text/html")
    site.routes["/news/harbour"] = HARBOUR
    site.routes["/news/slow"] = HANG
    site.routes["/news/moved"] = redirect("/news/bridge-2024", 301)
    site.routes["/news/bridge-2024"] = BRIDGE
    site.routes["/private/secret"] = HARBOUR
    site.routes["/news/into-private"] = redirect("/private/secret")
    settings = feed_settings(tmp_path)
    ingester = make_ingester(settings)

    started = time.monotonic()
    report = poll(settings, ingester, f"{u}/broken.xml", f"{u}/feed.xml", f"{u}/nowhere.xml")
    assert time.monotonic() - started < 20, "a hanging page must time out"

    # Broken and missing feeds are reported; they do not stop the good one.
    errors = {f.url: f.error for f in report.feeds}
    assert errors[f"{u}/feed.xml"] is None
    assert "not a feed" in (errors[f"{u}/broken.xml"] or "")
    assert "HTTP 404" in (errors[f"{u}/nowhere.xml"] or "")
    harbour = source_name(f"{u}/news/harbour")
    got = statuses(report)
    assert got[harbour] == "added"
    assert got[source_name(f"{u}/news/moved")] == "added"
    assert got[source_name(f"{u}/news/missing")] == "failed"
    assert got[source_name(f"{u}/news/slow")] == "failed"
    errors_by_source = {o.source: o.error or "" for o in report.summary.outcomes}
    assert "HTTP 404" in errors_by_source[source_name(f"{u}/news/missing")]
    assert "timed out" in errors_by_source[source_name(f"{u}/news/slow")]
    assert site.paths().count("/news/slow") == 2, "a timeout is retried once (retries=1)"
    assert site.paths().count("/news/missing") == 1, "a 404 is not retried"
    # robots.txt: neither the disallowed page nor a redirect into it is fetched.
    assert {url for url, _ in report.skipped} == {f"{u}/private/secret", f"{u}/news/into-private"}
    assert "/private/secret" not in site.paths()
    assert site.paths().count("/robots.txt") == 1, "robots.txt is read once per site per poll"
    assert {r.user_agent for r in site.requests} == {"newsqa-test-agent/1.0"}

    docs = ingester.store.documents()
    assert set(docs) == {harbour, source_name(f"{u}/news/moved")}
    # The feed's date and URL are the document's (the page says 2020-01-01), tracking
    # parameters and fragment dropped.
    assert (docs[harbour].date, docs[harbour].url) == ("2024-12-03", f"{u}/news/harbour")
    assert docs[harbour].title == "Harbour reopens after storm"
    moved = docs[source_name(f"{u}/news/moved")]
    assert (moved.date, moved.url) == ("2024-12-02", f"{u}/news/moved")
    texts = [s.text for s in ingester.store.load_current({moved.source: moved}).sentences]
    assert any(t.startswith("The Kestrel Bridge will close") for t in texts), texts


def test_the_same_page_is_unchanged_and_a_changed_page_a_new_version(
    tmp_path: Path, site: Site
) -> None:
    u = site.url
    site.routes["/feed.xml"] = rss(
        ("Harbour", f"{u}/news/harbour", "Tue, 03 Dec 2024 09:30:00 GMT")
    )
    site.routes["/news/harbour"] = HARBOUR
    settings = feed_settings(tmp_path)
    ingester = make_ingester(settings)
    source = source_name(f"{u}/news/harbour")

    assert statuses(poll(settings, ingester, f"{u}/feed.xml")) == {source: "added"}
    first = ingester.store.document(source)
    assert statuses(poll(settings, ingester, f"{u}/feed.xml")) == {source: "unchanged"}
    assert ingester.store.document(source) == first

    site.routes["/news/harbour"] = article(
        "Harbour reopens after storm",
        "The harbour of Norvale reopened on Saturday after all, the port authority said.",
        "Ships that had waited offshore for three days came in at dawn.",
    )
    assert statuses(poll(settings, ingester, f"{u}/feed.xml")) == {source: "replaced"}
    second = ingester.store.document(source)
    assert first is not None and second is not None and second.version != first.version
    texts = [s.text for s in ingester.store.load_current({source: second}).sentences]
    assert any("reopened on Saturday after all" in t for t in texts), texts
    assert second.url == f"{u}/news/harbour"


def test_an_atom_feed_with_relative_links(tmp_path: Path, site: Site) -> None:
    u = site.url
    site.routes["/atom.xml"] = Page(
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="' + u + '/news/">'
        "<title>Test news</title><id>urn:test</id><updated>2024-11-05T10:00:00Z</updated>"
        "<entry><title>Bridge</title><id>urn:1</id>"
        '<link rel="alternate" href="bridge"/>'
        "<published>2024-11-04T21:15:00+00:00</published>"
        "<updated>2024-11-05T10:00:00Z</updated></entry></feed>",
        content_type="application/atom+xml",
    )
    site.routes["/news/bridge"] = BRIDGE
    settings = feed_settings(tmp_path)
    ingester = make_ingester(settings)
    report = poll(settings, ingester, f"{u}/atom.xml")
    source = source_name(f"{u}/news/bridge")
    assert statuses(report) == {source: "added"}
    entry = ingester.store.document(source)
    assert entry is not None
    assert (entry.date, entry.url) == ("2024-11-04", f"{u}/news/bridge")


def test_a_sitemap_index_of_sitemaps_newest_first_within_max_entries(
    tmp_path: Path, site: Site
) -> None:
    u = site.url
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    news = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
    site.routes["/sitemap.xml"] = Page(
        f'<?xml version="1.0"?><sitemapindex {ns}>'
        f"<sitemap><loc>{u}/sitemap-news.xml</loc></sitemap>"
        f"<sitemap><loc>{u}/sitemap-old.xml.gz</loc></sitemap>"
        "</sitemapindex>",
        content_type="application/xml",
    )
    site.routes["/sitemap-news.xml"] = Page(
        f'<?xml version="1.0"?><urlset {ns} {news}>'
        f"<url><loc>{u}/news/harbour</loc><lastmod>2024-10-01</lastmod>"
        "<news:news><news:publication_date>2024-09-30T23:00:00Z</news:publication_date>"
        "</news:news></url>"
        f"<url><loc>/news/bridge</loc><lastmod>2024-10-02T06:00:00+00:00</lastmod></url>"
        "</urlset>",
        content_type="application/xml",
    )
    old = f'<?xml version="1.0"?><urlset {ns}><url><loc>{u}/news/old</loc>'
    old += "<lastmod>2001-01-01</lastmod></url></urlset>"
    site.routes["/sitemap-old.xml.gz"] = Page(
        gzip.compress(old.encode()), content_type="application/x-gzip"
    )
    site.routes["/news/harbour"] = HARBOUR
    site.routes["/news/bridge"] = BRIDGE
    site.routes["/news/old"] = article("Old", "This old story should not be fetched at all.")
    settings = feed_settings(tmp_path, max_entries=2)
    ingester = make_ingester(settings)
    report = poll(settings, ingester, f"{u}/sitemap.xml")
    assert report.feeds[0].error is None and report.feeds[0].entries == 2
    assert statuses(report) == {
        source_name(f"{u}/news/bridge"): "added",
        source_name(f"{u}/news/harbour"): "added",
    }
    assert "/news/old" not in site.paths(), "max_entries keeps the newest"
    dates = {e.url: e.date for e in ingester.store.documents().values()}
    assert dates == {f"{u}/news/harbour": "2024-09-30", f"{u}/news/bridge": "2024-10-02"}
    # The gzipped sitemap is read too (it only lists an entry older than the cap).
    listing = parse_listing(gzip.compress(old.encode()), f"{u}/sitemap-old.xml.gz")
    assert [(e.url, e.date) for e in listing.entries] == [(f"{u}/news/old", "2001-01-01")]


def test_transient_failures_are_retried_and_sites_are_rate_limited(
    tmp_path: Path, site: Site
) -> None:
    u = site.url
    site.routes["/feed.xml"] = Flaky(
        rss(
            ("Harbour", f"{u}/news/harbour", "Tue, 03 Dec 2024 09:30:00 GMT"),
            ("Bridge", f"{u}/news/bridge", "Tue, 03 Dec 2024 09:00:00 GMT"),
        )
    )
    site.routes["/news/harbour"] = Flaky(HARBOUR, failures=1)
    site.routes["/news/bridge"] = BRIDGE
    settings = feed_settings(tmp_path, per_site_interval_s=0.4)
    ingester = make_ingester(settings)
    report = poll(settings, ingester, f"{u}/feed.xml")
    assert set(statuses(report).values()) == {"added"}, report.summary.outcomes
    assert site.paths().count("/feed.xml") == 2 and site.paths().count("/news/harbour") == 2
    times = [r.at for r in site.requests]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 6 and min(gaps) >= 0.35, gaps


def test_robots_crawl_delay_and_an_unreachable_robots_txt(tmp_path: Path, site: Site) -> None:
    u = site.url
    site.routes["/feed.xml"] = rss(("Harbour", f"{u}/news/harbour", "Tue, 03 Dec 2024 09:30 GMT"))
    site.routes["/news/harbour"] = HARBOUR
    site.routes["/robots.txt"] = Page("maintenance", status=500, content_type="text/plain")
    settings = feed_settings(tmp_path, retries=0)
    ingester = make_ingester(settings)
    report = poll(settings, ingester, f"{u}/feed.xml")
    assert report.feeds[0].error is not None and "robots.txt" in report.feeds[0].error
    assert site.paths() == ["/robots.txt"], "nothing is fetched while robots.txt fails"

    site.requests.clear()
    # robotparser reads whole seconds only
    site.routes["/robots.txt"] = Page("User-agent: *\nCrawl-delay: 1\n", content_type="text/plain")
    report = poll(settings, ingester, f"{u}/feed.xml")
    assert set(statuses(report).values()) == {"added"}
    times = [r.at for r in site.requests]
    assert [r.path for r in site.requests] == ["/robots.txt", "/feed.xml", "/news/harbour"]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.95


def test_listing_parsing_and_names() -> None:
    with pytest.raises(FeedError, match="not a feed"):
        parse_listing(b"<html><body>hello</body></html>", "http://x.test/feed")
    with pytest.raises(FeedError, match="not well-formed"):
        parse_listing(b"<urlset><url><loc>http://x.test/a</loc>", "http://x.test/s.xml")
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    assert parse_listing(empty, "http://x.test/feed").entries == []  # an empty feed is fine
    assert canonical_url("HTTP://Example.COM/a/b?utm_medium=x&id=3#frag") == (
        "http://example.com/a/b?id=3"
    )
    a = source_name("https://www.example.com/2024/12/03/harbour-reopens?id=7")
    b = source_name("https://www.example.com/2024/12/03/harbour-reopens?id=8")
    assert a != b and a.endswith(".html") and a.startswith("example.com_2024-12-03-harbour")
    long = source_name("https://example.com/" + "x" * 500)
    for name in (a, b, long, source_name("http://127.0.0.1:8123/")):
        assert re.match(SAFE_NAME_PATTERN, name), name


def test_cli_indexes_a_feed(tmp_path: Path, site: Site) -> None:
    u = site.url
    site.routes["/feed.xml"] = rss(
        ("Harbour", f"{u}/news/harbour", "Tue, 03 Dec 2024 09:30:00 GMT"),
        ("Missing", f"{u}/news/missing", "Tue, 03 Dec 2024 09:00:00 GMT"),
    )
    site.routes["/news/harbour"] = HARBOUR
    env = {
        "NEWSQA_DATA__DIR": str(tmp_path / "data"),
        "NEWSQA_FEEDS__PER_SITE_INTERVAL_S": "0",
        "NEWSQA_FEEDS__RETRIES": "0",
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "ingest", *args]
        return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    first = run("--feed", f"{u}/feed.xml")
    assert first.returncode == 1, first.stderr  # the 404 page is a failure
    assert "1 added, 0 unchanged, 0 replaced, 0 removed, 1 failed" in first.stdout
    assert "HTTP 404" in first.stderr
    site.routes["/feed.xml"] = rss(("H", f"{u}/news/harbour", "Tue, 03 Dec 2024 09:30:00 GMT"))
    again = run("--feed", f"{u}/feed.xml", "--quiet")
    assert again.returncode == 0, again.stderr
    assert "0 added, 1 unchanged" in again.stdout


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_the_running_service_polls_its_feeds_on_a_schedule(tmp_path: Path, site: Site) -> None:
    u = site.url
    site.routes["/feed.xml"] = rss(("Bridge", f"{u}/news/bridge", "Tue, 03 Dec 2024 09:30:00 GMT"))
    site.routes["/broken.xml"] = Page("garbage", status=500, content_type="text/plain")
    site.routes["/news/bridge"] = BRIDGE
    settings = make_settings(
        tmp_path,
        feeds={**FAST, "urls": [f"{u}/broken.xml", f"{u}/feed.xml"], "interval_s": 0.5},
    )
    source = source_name(f"{u}/news/bridge")
    with TestClient(create_app(settings)) as client:

        def metrics() -> str:
            return client.get("/metrics").text

        deadline = time.monotonic() + 120
        while _metric(metrics(), 'newsqa_feed_polls_total{result="failures"}') < 2:
            assert time.monotonic() < deadline, metrics()
            time.sleep(0.2)
        text = metrics()
        assert _metric(text, 'newsqa_feed_entries_total{status="added"}') == 1
        assert _metric(text, 'newsqa_feed_entries_total{status="unchanged"}') >= 1
        assert _metric(text, "newsqa_feed_failures_total") >= 2  # the broken feed, each poll
        assert _metric(text, "newsqa_feed_last_poll_failed_feeds") == 1
        assert _metric(text, "newsqa_feed_last_poll_timestamp_seconds") > time.time() - 120

        listed = {s["source"]: s for s in client.get("/sources").json()["sources"]}
        assert listed[source]["url"] == f"{u}/news/bridge"
        assert listed[source]["date"] == "2024-12-03"
        answer = client.post(
            "/ask", json={"question": "When will the Kestrel Bridge close for repairs?"}
        ).json()
        assert not answer["refused"], answer
        assert source in {c["source"] for c in answer["citations"]}
        poller = client.app.state.feed_poller  # type: ignore[attr-defined]
    assert poller._thread is None, "the poller stops with the app"


def test_documents_api_takes_a_url_and_a_date(scratch: Settings) -> None:
    with TestClient(create_app(scratch)) as client:
        html = HARBOUR.body
        ok = client.post(
            "/documents",
            files={"file": ("harbour.html", html, "text/html")},
            data={"url": "https://news.example/harbour", "date": "2024-12-03"},
        )
        assert ok.status_code == 201, ok.text
        doc = ok.json()["document"]
        assert (doc["url"], doc["date"]) == ("https://news.example/harbour", "2024-12-03")
        again = client.post(
            "/documents",
            files={"file": ("harbour.html", html, "text/html")},
            data={"url": "https://news.example/harbour", "date": "2024-12-03"},
        )
        assert again.json()["status"] == "unchanged"
        bad = client.post(
            "/documents",
            files={"file": ("harbour.html", html, "text/html")},
            data={"url": "javascript:alert(1)"},
        )
        assert bad.status_code == 422
        listed = client.get("/documents").json()["documents"]
        assert [d["url"] for d in listed] == ["https://news.example/harbour"]


def test_the_service_does_not_poll_unless_an_interval_and_feeds_are_set(tmp_path: Path) -> None:
    from service.feeds.feed_poller import FeedPoller

    def enabled(**feeds: object) -> bool:
        app = create_app(make_settings(tmp_path, feeds=feeds))
        poller: FeedPoller = app.state.feed_poller
        return poller.enabled

    assert not enabled(urls=["http://127.0.0.1:9/feed.xml"])  # the default: no interval
    assert not enabled(urls=["http://127.0.0.1:9/feed.xml"], interval_s=0)
    assert not enabled(interval_s=60)
    assert enabled(urls=["http://127.0.0.1:9/feed.xml"], interval_s=60)
