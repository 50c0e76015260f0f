"""POST /v1/chat/completions, driven by the real ``openai`` client over a real socket.

These run the extractive mode (no model needed); tests/llm/test_local_llm.py runs the same
endpoint with the real local model.
"""

from __future__ import annotations

import re

import httpx
import openai
import pytest

from tests.llm.conftest import LiveServer


@pytest.fixture(scope="module")
def client(extractive_service: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{extractive_service.url}/v1", api_key="unused", max_retries=0)


def test_a_chat_completion_carries_the_answer_and_its_citations(
    client: openai.OpenAI, extractive_service: LiveServer
) -> None:
    reply = client.chat.completions.create(
        model="newsqa", messages=[{"role": "user", "content": "What did Ushakov say?"}]
    )
    content = reply.choices[0].message.content or ""
    extra = reply.model_extra or {}
    citations = extra["citations"]
    assert citations and extra["refused"] is False and extra["mode"] == "extractive"
    assert {f"[{c['id']}]" for c in citations} == set(re.findall(r"\[\d+\]", content))
    for c in citations:
        stored = httpx.get(
            f"{extractive_service.url}/sources/{c['source']}/sentences/{c['sentence']}"
        ).json()
        assert stored["text"] == c["text"]


def test_streaming_sends_citations_in_the_last_chunk_only(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="newsqa",
        messages=[{"role": "user", "content": "What did Ushakov say?"}],
        stream=True,
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    with_citations = [i for i, c in enumerate(chunks) if (c.model_extra or {}).get("citations")]
    assert with_citations == [len(chunks) - 1]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "[1]" in text


def test_history_comes_from_the_earlier_messages(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="newsqa-extractive",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What did Witkoff say?"},
            {"role": "assistant", "content": "Witkoff said ... [1]"},
            {"role": "user", "content": "Where was he?"},
        ],
    )
    extra = reply.model_extra or {}
    assert extra["standalone_question"] == "Where was Witkoff?"
    assert extra["refused"] is False


def test_out_of_corpus_questions_are_refused(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="newsqa", messages=[{"role": "user", "content": "Who won the 2018 World Cup?"}]
    )
    extra = reply.model_extra or {}
    assert extra["refused"] is True and extra["citations"] == []
    assert "do not cover" in (reply.choices[0].message.content or "")


def test_bad_requests_are_4xx(client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(
            model="newsqa", messages=[{"role": "assistant", "content": "Hello"}]
        )
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": " "}])
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(
            model="newsqa-llm", messages=[{"role": "user", "content": "What did Ushakov say?"}]
        )
    # errors keep the service's one JSON shape (docs/API.md)
    assert "no LLM is configured" in err.value.response.json()["detail"]


def test_models_are_listed(client: openai.OpenAI) -> None:
    assert {m.id for m in client.models.list()} == {"newsqa", "newsqa-llm", "newsqa-extractive"}
