"""Feeds beside a real service process with two workers: one worker polls (never two at
once), and `python -m ingest --feed` writes through the service that owns the index."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import httpx
import pytest

from ingest.feed_sync import source_name
from tests.feed_site import Page, Site, article, rss

from .support import ServiceProcess, run_ingest, wait_for

pytestmark = [pytest.mark.slow]


def test_two_workers_poll_as_one_and_the_cli_writes_through_the_service(tmp_path: Path) -> None:
    site = Site().start()
    u = site.url
    site.routes["/robots.txt"] = Page("User-agent: *\nAllow: /\n", content_type="text/plain")
    site.routes["/feed.xml"] = rss(("Ferry", f"{u}/news/ferry", "Tue, 03 Dec 2024 09:30:00 GMT"))
    site.routes["/news/ferry"] = article(
        "Ferry returns",
        "The night ferry to Skellan Island returned to service on Monday after a refit.",
        "Its captain said the crossing now takes forty minutes.",
    )
    site.routes["/other.xml"] = rss(("Mill", f"{u}/news/mill", "Wed, 04 Dec 2024 07:00:00 GMT"))
    site.routes["/news/mill"] = article(
        "Mill reopens",
        "The old Harrow mill reopened as a museum on Wednesday, the trust said.",
        "Visitors can watch the wheel turn on weekends.",
    )
    env = {
        "NEWSQA_SERVER__WORKERS": "2",
        "NEWSQA_DATA__DIR": str(tmp_path / "data"),
        "NEWSQA_ANSWER__MODE": "extractive",
        "NEWSQA_RETRIEVAL__REFRESH_INTERVAL_S": "1",
        "NEWSQA_RATE_LIMIT__ENABLED": "false",
        "NEWSQA_FEEDS__URLS": json.dumps([f"{u}/feed.xml"]),
        "NEWSQA_FEEDS__INTERVAL_S": "1",
        "NEWSQA_FEEDS__PER_SITE_INTERVAL_S": "0",
        "NEWSQA_FEEDS__RETRIES": "0",
    }
    service = ServiceProcess(env, tmp_path / "svc.log").start()
    try:
        service.wait_healthy()

        def listed(source: str) -> dict[str, object] | None:
            r = httpx.get(f"{service.url}/sources", timeout=30)
            return {s["source"]: s for s in r.json()["sources"]}.get(source)

        ferry = source_name(f"{u}/news/ferry")
        wait_for(lambda: listed(ferry) is not None, timeout_s=120)
        site.requests.clear()
        time.sleep(6.0)
        polls = [r.at for r in site.requests if r.path == "/feed.xml"]
        assert len(polls) >= 3, site.paths()
        gaps = [b - a for a, b in itertools.pairwise(polls)]
        assert min(gaps) >= 0.9, f"two pollers at once: {gaps}"

        done = run_ingest(env, "--feed", f"{u}/other.xml")
        assert done.returncode == 0, done.stderr
        assert "a service owns" not in done.stdout and "1 added" in done.stdout, done.stdout
        mill = source_name(f"{u}/news/mill")

        def mill_listed_everywhere() -> object:
            # Each worker re-reads the index on its own refresh interval, so one /sources
            # call may reach a worker that has it and the next one that does not yet:
            # wait until several calls in a row (both workers) list it, with its URL and date.
            seen = [listed(mill) for _ in range(6)]
            return (
                all(
                    got is not None
                    and (got["url"], got["date"]) == (f"{u}/news/mill", "2024-12-04")
                    for got in seen
                )
                or seen
            )

        wait_for(mill_listed_everywhere, timeout_s=30)
    finally:
        service.stop()
        site.stop()
    assert "Traceback" not in service.tail(), service.tail()
