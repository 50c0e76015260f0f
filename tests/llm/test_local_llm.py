"""End to end against the REAL local model: SmolLM2-135M-Instruct behind llama.cpp's
OpenAI-compatible server (started by the ``local_llm`` fixture), the service on a real
port. ``/ask``, ``/ask/stream`` and ``/v1/chat/completions`` answer the core questions
with citations that all verify: each citation's text is the stored sentence, and each
shown answer sentence is supported by what it cites.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import openai
import pytest

from service.answering.provenance import as_of_note
from tests.llm.conftest import LiveServer

pytestmark = [pytest.mark.llm, pytest.mark.slow]

CORE_QUESTIONS = [
    "What did Ushakov say?",
    "What did Putin say about Europe?",
    "Where did Zelensky speak from?",
]
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{3,}")
_CITED = re.compile(r"\s*(.+?)\s*((?:\[\d+\])+)")  # "sentence [1][2]", as answers are composed


@pytest.fixture(scope="module")
def http(llm_service: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=llm_service.url, timeout=600)


def stored(http: httpx.Client, source: str, sentence: int) -> str:
    r = http.get(f"/sources/{source}/sentences/{sentence}")
    assert r.status_code == 200, r.text
    text: str = r.json()["text"]
    return text


def assert_verified(http: httpx.Client, body: dict[str, Any]) -> None:
    """Citations are the stored sentences, numbered 1..n as they appear, and every sentence
    of the answer is supported by what it cites, checked here without the service's
    verifier: its numbers are in the cited text, and at least half of its words."""
    assert not body["refused"], body
    citations = body["citations"]
    assert citations, body
    ids = [c["id"] for c in citations]
    assert ids == list(range(1, len(ids) + 1))
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])]
    assert list(dict.fromkeys(markers)) == ids
    by_id = {c["id"]: c for c in citations}
    for c in citations:
        assert c["text"] == stored(http, c["source"], c["sentence"])
    answer = body["answer"]
    if body.get("as_of"):  # a dated answer ends with the newest cited article's date
        note = as_of_note(body["as_of"])
        assert answer.endswith(note), body
        answer = answer.removesuffix(note)
    sentences = _CITED.findall(answer)
    assert "".join(s + m for s, m in sentences).replace(" ", "") == answer.replace(" ", "")
    for sentence, marks in sentences:
        cited = " ".join(by_id[int(i)]["text"] for i in re.findall(r"\d+", marks)).lower()
        assert all(d in cited for d in re.findall(r"\d+", sentence)), (sentence, cited)
        words = {w.lower() for w in _WORD.findall(sentence)}
        assert sum(w in cited for w in words) >= 0.5 * len(words), (sentence, cited)
    for claim in body.get("claims") or []:  # the service's own verdicts agree
        assert claim["shown"] == (claim["supported"] and not claim.get("repeated", False))


def test_ask_answers_the_core_questions_with_verified_citations(http: httpx.Client) -> None:
    modes = []
    for question in CORE_QUESTIONS:
        body = http.post("/ask", json={"question": question}).json()
        assert_verified(http, body)
        modes.append(body["mode"])
        if body["mode"] != "llm":
            assert str(body["fallback"]).startswith("llm_"), body
    # the model, not only the fallback, answers. Measured at 0dcb4f4 (2026-12-07): with the
    # reader's evidence order SmolLM2-135M answers "What did Ushakov say?" itself and writes
    # the other two without any [n] marker, so they fall back (llm_no_citations) as designed.
    assert "llm" in modes, modes


def test_ask_stream_sends_tokens_then_the_verified_answer(http: httpx.Client) -> None:
    events: list[tuple[str, dict[str, Any], float]] = []
    started = time.monotonic()
    with http.stream("POST", "/ask/stream", json={"question": "What did Ushakov say?"}) as r:
        assert r.status_code == 200
        assert r.headers["x-accel-buffering"] == "no"
        event = ""
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((event, json.loads(line.split(":", 1)[1]), time.monotonic()))
    kinds = [k for k, _, _ in events]
    assert kinds[-2:] == ["final", "end"] and "error" not in kinds
    deltas = [e for e in events if e[0] == "delta"]
    assert len(deltas) >= 5, "the model's tokens arrive one by one"
    assert deltas[0][2] < events[-2][2], "the first token arrives before the final answer"
    final = events[-2][1]
    assert final["mode"] == "llm"
    assert_verified(http, final)
    raw = "".join(d[1]["text"] for d in deltas)
    assert raw.strip() and started < deltas[0][2]


def test_refusal_happens_before_the_model(http: httpx.Client) -> None:
    body = http.post("/ask", json={"question": "Who won the 2018 football World Cup?"}).json()
    assert body["refused"] is True and body["citations"] == []
    assert body["timings_ms"]["total"] < 2000, "no model call for a refused question"


def test_chat_completions_with_the_openai_client(
    llm_service: LiveServer, http: httpx.Client
) -> None:
    client = openai.OpenAI(base_url=f"{llm_service.url}/v1", api_key="unused", max_retries=0)
    messages: Any = [{"role": "user", "content": "What did Ushakov say?"}]
    reply = client.chat.completions.create(model="newsqa", messages=messages, timeout=600)
    extra = reply.model_extra or {}
    assert extra["mode"] == "llm"
    body = {"answer": reply.choices[0].message.content or "", **extra}
    assert_verified(http, body)

    chunks = list(
        client.chat.completions.create(model="newsqa", messages=messages, stream=True, timeout=600)
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    last = chunks[-1].model_extra or {}
    assert [bool((c.model_extra or {}).get("citations")) for c in chunks].count(True) == 1
    assert last["citations"] and chunks[-1].choices[0].finish_reason == "stop"
    assert_verified(http, {"answer": streamed, **last})
