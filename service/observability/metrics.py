"""Prometheus metrics, in a registry of the app's own.

No metric is created at import time in prometheus-client's global registry: ``create_app``
may run many times in one process (tests), and each app counts only its own requests.
The index size is read from the snapshot the process already holds at scrape time, so
scraping never calls Chroma.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ingest.feed_sync import PollReport
from service.answering.base import Answer

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STAGES = ("condense", "retrieve", "answer", "verify")


class IndexSizeCollector(Collector):
    """Documents and sentences in this process's current snapshot (absent before the first)."""

    def __init__(self, sizes: Callable[[], tuple[int, int] | None]) -> None:
        self.sizes = sizes

    def collect(self) -> Iterator[GaugeMetricFamily]:
        docs = GaugeMetricFamily("newsqa_index_documents", "Documents in the index snapshot")
        sents = GaugeMetricFamily("newsqa_index_sentences", "Sentences in the index snapshot")
        got = self.sizes()
        if got is not None:
            docs.add_metric([], got[0])
            sents.add_metric([], got[1])
        yield docs
        yield sents


class Metrics:
    def __init__(self, index_sizes: Callable[[], tuple[int, int] | None]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "newsqa_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "newsqa_http_request_duration_seconds",
            "Time from request to the last byte of the response, by route template",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.stage = Histogram(
            "newsqa_answer_stage_duration_seconds",
            "Time per answering stage (condense, retrieve, answer, verify, total)",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.answers = Counter(
            "newsqa_answers",
            "Answers by mode and whether they refused",
            ["mode", "refused"],
            registry=r,
        )
        self.refusals = Counter(
            "newsqa_refusals", "Refused questions by reason", ["reason"], registry=r
        )
        self.fallbacks = Counter(
            "newsqa_fallbacks",
            "LLM answers that fell back to extractive, by reason",
            ["reason"],
            registry=r,
        )
        r.register(IndexSizeCollector(index_sizes))
        # The scheduled feed poll (service.feeds): only the process that polls counts.
        self.feed_polls = Counter(
            "newsqa_feed_polls", "Polls of the configured feeds, by result", ["result"], registry=r
        )
        self.feed_entries = Counter(
            "newsqa_feed_entries",
            "Feed entries handled by polls, by status (added, replaced, unchanged, failed, "
            "skipped: disallowed by robots.txt)",
            ["status"],
            registry=r,
        )
        self.feed_failures = Counter(
            "newsqa_feed_failures", "Feeds that could not be fetched or parsed", registry=r
        )
        self.feed_last_poll = Gauge(
            "newsqa_feed_last_poll_timestamp_seconds",
            "When the last poll of the feeds finished (Unix time)",
            registry=r,
        )
        self.feed_last_poll_seconds = Gauge(
            "newsqa_feed_last_poll_duration_seconds", "How long the last poll took", registry=r
        )
        self.feed_last_failed = Gauge(
            "newsqa_feed_last_poll_failed_feeds", "Feeds that failed in the last poll", registry=r
        )

    def observe_answer(self, answer: Answer) -> None:
        for stage, ms in answer.timings_ms.items():
            self.stage.labels(stage=stage).observe(ms / 1000.0)
        self.answers.labels(mode=answer.mode, refused=str(answer.refused).lower()).inc()
        if answer.refused:
            self.refusals.labels(reason=answer.refusal_reason or "unspecified").inc()
        if answer.fallback:
            self.fallbacks.labels(reason=_reason(answer.fallback)).inc()

    def observe_poll(self, report: PollReport) -> None:
        failed = len(report.failed_feeds())
        self.feed_polls.labels(result="failures" if failed else "ok").inc()
        for status in ("added", "replaced", "unchanged", "failed"):
            self.feed_entries.labels(status=status).inc(report.summary.count(status))
        self.feed_entries.labels(status="skipped").inc(len(report.skipped))
        self.feed_failures.inc(failed)
        self.feed_last_poll.set(report.finished_at)
        self.feed_last_poll_seconds.set(report.summary.seconds)
        self.feed_last_failed.set(failed)

    def poll_crashed(self) -> None:
        """A poll that ended in an error of its own (a bug, the index gone): counted."""
        self.feed_polls.labels(result="error").inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _reason(fallback: str) -> str:
    """A bounded label: the first word of the fallback note (e.g. ``timeout``)."""
    head = fallback.strip().split(":", 1)[0].split()[:1]
    return (head[0] if head else "unspecified")[:40].lower()
