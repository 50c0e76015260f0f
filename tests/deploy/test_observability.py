"""Request ids, one structured log line per request, and Prometheus metrics per app."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.answering.base import Answer
from service.components.embeddings import Embedder
from service.observability.logs import JsonFormatter
from service.observability.metrics import Metrics
from service.settings import Settings

from .support import make_app, with_

QUESTION = "What did Ushakov say?"
OUT_OF_CORPUS = "Who won the 2018 football World Cup?"


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(client: TestClient) -> Samples:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(data: Samples, name: str, **labels: str) -> float:
    return data.get((name, frozenset(labels.items())), 0.0)


def request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "newsqa.request"]


@pytest.fixture()
def client(indexed: Settings, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(make_app(indexed, embedder)) as c:
        yield c


def test_request_id_is_accepted_generated_and_on_errors(client: TestClient) -> None:
    given = client.get("/health", headers={"X-Request-ID": "lb-7f3a.42"})
    assert given.headers["x-request-id"] == "lb-7f3a.42"
    generated = client.get("/health").headers["x-request-id"]
    assert len(generated) == 32
    # Not a plain token (spaces, quotes, too long): replaced, never echoed.
    odd = client.get("/health", headers={"X-Request-ID": 'x" injected'})
    assert odd.headers["x-request-id"] != 'x" injected'
    assert (
        len(client.get("/health", headers={"X-Request-ID": "a" * 129}).headers["x-request-id"])
        == 32
    )
    for r in (
        client.post("/ask", json={"question": " "}, headers={"X-Request-ID": "req-1"}),
        client.get("/sources/nope.txt", headers={"X-Request-ID": "req-2"}),
        client.get("/no/such/route", headers={"X-Request-ID": "req-3"}),
    ):
        assert r.status_code in (404, 422)
        assert (
            r.json()["request_id"] == r.headers["x-request-id"] == r.request.headers["x-request-id"]
        )


def test_one_json_log_line_per_request_with_stage_timings_and_no_question(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    r = client.post("/ask", json={"question": QUESTION}, headers={"X-Request-ID": "ask-1"})
    assert r.status_code == 200
    records = request_records(caplog)
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["level"] == "INFO" and line["logger"] == "newsqa.request"
    assert line["method"] == "POST" and line["path"] == "/ask" and line["route"] == "/ask"
    assert line["status"] == 200 and line["request_id"] == "ask-1"
    assert line["duration_ms"] > 0
    assert {"condense", "retrieve", "answer"} <= set(line["stages_ms"])
    assert line["mode"] == "extractive" and line["refused"] is False and line["citations"] >= 1
    everything = "\n".join(JsonFormatter().format(rec) for rec in caplog.records)
    assert "Ushakov" not in everything, "the question must not be logged at INFO by default"


def test_question_is_logged_only_when_enabled(
    indexed: Settings, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    settings = with_(indexed, observability={"log_questions": True})
    caplog.set_level(logging.INFO)
    with TestClient(make_app(settings, embedder)) as c:
        c.post("/ask", json={"question": QUESTION})
    (record,) = request_records(caplog)
    assert json.loads(JsonFormatter().format(record))["question"] == QUESTION


def test_errors_and_probes_are_logged_with_their_status(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.post("/ask", json={"question": ""})
    client.get("/health")
    by_path = {r.path: r for r in request_records(caplog)}  # type: ignore[attr-defined]
    assert by_path["/ask"].status == 422 and by_path["/ask"].levelno == logging.INFO  # type: ignore[attr-defined]
    assert by_path["/health"].levelno == logging.DEBUG, "probes must not flood INFO"


def test_metrics_count_requests_stages_refusals_and_index_size(client: TestClient) -> None:
    before = samples(client)
    assert client.post("/ask", json={"question": QUESTION}).status_code == 200
    refused = client.post("/ask", json={"question": OUT_OF_CORPUS}).json()
    assert refused["refused"] is True
    client.get("/sources/nope.txt")
    after = samples(client)

    req = "newsqa_http_requests_total"
    ask_ok = {"route": "/ask", "method": "POST", "status": "200"}
    assert value(after, req, **ask_ok) - value(before, req, **ask_ok) == 2
    missing = {"route": "/sources/{source}", "method": "GET", "status": "404"}
    assert value(after, req, **missing) == 1, "routes are labelled by template, not raw path"
    assert (
        value(after, "newsqa_http_request_duration_seconds_count", route="/ask", method="POST") >= 2
    )
    for stage in ("condense", "retrieve", "answer"):
        assert value(after, "newsqa_answer_stage_duration_seconds_count", stage=stage) >= 2
    refusals = sum(v for (name, _), v in after.items() if name == "newsqa_refusals_total")
    assert refusals >= 1
    assert value(after, "newsqa_answers_total", mode="extractive", refused="true") >= 1
    assert value(after, "newsqa_index_documents") == 5
    assert value(after, "newsqa_index_sentences") > 100


def test_each_app_has_its_own_registry(indexed: Settings, embedder: Embedder) -> None:
    with (
        TestClient(make_app(indexed, embedder)) as one,
        TestClient(make_app(indexed, embedder)) as two,
    ):
        for _ in range(3):
            one.get("/health")
        labels = {"route": "/health", "method": "GET", "status": "200"}
        assert value(samples(one), "newsqa_http_requests_total", **labels) == 3
        assert value(samples(two), "newsqa_http_requests_total", **labels) == 0


def test_fallbacks_are_counted_by_a_bounded_reason() -> None:
    metrics = Metrics(lambda: None)
    answer = Answer("x", False, [], "extractive", fallback="timeout: the LLM took 30.0 s")
    answer.timings_ms = {"retrieve": 3.0, "verify": 1.5}
    metrics.observe_answer(answer)
    text = metrics.exposition().decode()
    assert 'newsqa_fallbacks_total{reason="timeout"} 1.0' in text
    assert 'newsqa_answer_stage_duration_seconds_count{stage="verify"} 1.0' in text
    assert "newsqa_index_documents" in text  # declared, without a sample before a snapshot


def test_metrics_can_be_switched_off(indexed: Settings, embedder: Embedder) -> None:
    settings = with_(indexed, observability={"metrics_enabled": False})
    with TestClient(make_app(settings, embedder)) as c:
        assert c.get("/metrics").status_code == 404
        assert c.post("/ask", json={"question": QUESTION}).status_code == 200
