"""Faults of the model: after the SDK's retries, or on garbage, the service answers in
extractive mode with ``fallback`` saying why, never a 500.

The misbehaving model is the scripted OpenAI-protocol TEST DOUBLE
(tests/fakes/scripted_openai_server.py): the real local model cannot be made to hang, fail
with 500/429 or break a stream on demand. The openai SDK, its retries and its timeouts run
unmodified against it over real HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.fakes.scripted_openai_server import (
    ScriptedOpenAIServer,
    broken_stream,
    hang,
    reply,
    status,
)

QUESTION = "What did Ushakov say?"
RETRIES = 1
TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def api(
    scripted_llm: ScriptedOpenAIServer, settings_for: Callable[..., Settings]
) -> Iterator[TestClient]:
    settings = settings_for(scripted_llm.url, timeout_s=TIMEOUT_S, max_retries=RETRIES)
    with TestClient(create_app(settings)) as client:
        yield client


def ask(api: TestClient, **extra: Any) -> dict[str, Any]:
    r = api.post("/ask", json={"question": QUESTION, **extra})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def assert_extractive_fallback(body: dict[str, Any], reason: str) -> None:
    assert body["mode"] == "extractive"
    assert body["fallback"] == reason
    assert not body["refused"]
    assert body["citations"], "the extractive fallback still answers with citations"
    assert "[1]" in body["answer"]


@pytest.mark.parametrize(
    ("code", "reason"),
    [(500, "llm_server_error"), (503, "llm_server_error"), (429, "llm_rate_limited")],
)
def test_server_errors_are_retried_then_fall_back(
    api: TestClient, scripted_llm: ScriptedOpenAIServer, code: int, reason: str
) -> None:
    scripted_llm.play(status(code, {"retry-after": "0"}))
    body = ask(api)
    assert_extractive_fallback(body, reason)
    assert len(scripted_llm.requests) == RETRIES + 1  # the SDK retried, then gave up


def test_a_transient_error_is_retried_and_the_model_answers(
    api: TestClient, scripted_llm: ScriptedOpenAIServer
) -> None:
    evidence_copy = (  # 004_323d18fcb59138b4.txt, sentence 2, word for word
        "Ushakov described the discussions as “useful” but acknowledged that both sides "
        "remained far apart on the central issues of a potential peace deal for Ukraine, "
        "including territorial control."
    )
    scripted_llm.play(status(500, {"retry-after": "0"}), reply(f"{evidence_copy} [1]"))
    body = ask(api)
    assert len(scripted_llm.requests) == 2
    assert body["mode"] == "llm" and body.get("fallback") is None, body


def test_a_model_that_hangs_past_the_timeout_falls_back(
    api: TestClient, scripted_llm: ScriptedOpenAIServer
) -> None:
    scripted_llm.play(hang(TIMEOUT_S * 4))
    started = time.monotonic()
    body = ask(api)
    elapsed = time.monotonic() - started
    assert_extractive_fallback(body, "llm_timeout")
    assert len(scripted_llm.requests) == RETRIES + 1
    assert elapsed < TIMEOUT_S * (RETRIES + 1) + 6, f"took {elapsed:.1f} s"


def test_an_unreachable_model_falls_back(settings_for: Callable[..., Settings]) -> None:
    from tests.llm.conftest import free_port

    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    with TestClient(create_app(settings_for(dead, max_retries=0))) as client:
        body = ask(client)
    assert_extractive_fallback(body, "llm_unreachable")


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        ("", "llm_empty_answer"),
        ("   \n  ", "llm_empty_answer"),
        ("Germany won the 2018 World Cup in Moscow, beating France 4-2.", "llm_no_citations"),
        ("Germany won the 2018 World Cup. [7][12]", "llm_citations_out_of_range"),
        ("The 2018 World Cup final ended 4-2. [1]", "llm_unsupported_answer"),
    ],
)
def test_garbage_from_the_model_falls_back(
    api: TestClient, scripted_llm: ScriptedOpenAIServer, garbage: str, reason: str
) -> None:
    scripted_llm.play(reply(garbage))
    body = ask(api, top_k=5)
    assert_extractive_fallback(body, reason)


def sse_events(api: TestClient, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    with api.stream("POST", "/ask/stream", json=payload) as r:
        assert r.status_code == 200
        event = "message"
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((event, json.loads(line.split(":", 1)[1])))
    return events


def test_a_stream_broken_midway_ends_with_the_extractive_answer(
    api: TestClient, scripted_llm: ScriptedOpenAIServer
) -> None:
    scripted_llm.play(broken_stream("Ushakov described the discussions"))
    events = sse_events(api, {"question": QUESTION})
    kinds = [k for k, _ in events]
    assert kinds.count("delta") >= 2, "the deltas before the break reach the client"
    assert kinds[-2:] == ["final", "end"] and "error" not in kinds
    final = events[-2][1]
    assert_extractive_fallback(final, "llm_bad_response")


def test_stream_server_error_falls_back_in_the_final_event(
    api: TestClient, scripted_llm: ScriptedOpenAIServer
) -> None:
    scripted_llm.play(status(500, {"retry-after": "0"}))
    events = sse_events(api, {"question": QUESTION})
    assert [k for k, _ in events][-2:] == ["final", "end"]
    assert_extractive_fallback(events[-2][1], "llm_server_error")


def test_the_refusal_gate_runs_before_the_model(
    api: TestClient, scripted_llm: ScriptedOpenAIServer
) -> None:
    scripted_llm.play(reply("Germany won. [1]"))
    body = api.post("/ask", json={"question": "Who won the 2018 football World Cup?"}).json()
    assert body["refused"] is True
    assert scripted_llm.requests == [], "a refused question never reaches the model"


def test_follow_ups_are_condensed_by_the_model(
    api: TestClient, scripted_llm: ScriptedOpenAIServer
) -> None:
    history = [
        {"role": "user", "content": "What did Macron say about the plan?"},
        {"role": "assistant", "content": "Macron said ... [1]"},
    ]
    scripted_llm.play(
        reply("What did Kallas say about the plan?"),
        reply("Kaja Kallas said this week could be decisive. [1]"),
    )
    body = api.post(
        "/ask", json={"question": "And what did Kallas say?", "history": history}
    ).json()
    assert scripted_llm.requests[0]["messages"][0]["content"].count("Macron") >= 1
    assert body["standalone_question"] == "What did Kallas say about the plan?"


def test_an_unsafe_rewrite_falls_back_to_the_rule_based_condense(
    api: TestClient, scripted_llm: ScriptedOpenAIServer
) -> None:
    history = [{"role": "user", "content": "What did Witkoff say?"}]
    scripted_llm.play(reply("What did Lavrov say about Crimea?"), reply(""))
    body = api.post("/ask", json={"question": "Where was he?", "history": history}).json()
    assert body["standalone_question"] == "Where was Witkoff?"
