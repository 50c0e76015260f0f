"""Prometheus metrics, in a registry of the app's own.

No metric is created at import time in prometheus-client's global registry: ``create_app``
may run many times in one process (tests), and each app counts only its own requests.
The index size is read from the snapshot the process already holds at scrape time, so
scraping never calls Chroma.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

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

    def observe_answer(self, answer: Answer) -> None:
        for stage, ms in answer.timings_ms.items():
            self.stage.labels(stage=stage).observe(ms / 1000.0)
        self.answers.labels(mode=answer.mode, refused=str(answer.refused).lower()).inc()
        if answer.refused:
            self.refusals.labels(reason=answer.refusal_reason or "unspecified").inc()
        if answer.fallback:
            self.fallbacks.labels(reason=_reason(answer.fallback)).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _reason(fallback: str) -> str:
    """A bounded label: the first word of the fallback note (e.g. ``timeout``)."""
    head = fallback.strip().split(":", 1)[0].split()[:1]
    return (head[0] if head else "unspecified")[:40].lower()
