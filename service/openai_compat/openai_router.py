"""POST /v1/chat/completions and GET /v1/models: the service behind the OpenAI chat API.

The openai SDKs and chat UIs can use the service as if it were a model. The last user
message is the question and the earlier user/assistant messages its history (system
messages are ignored: the service's own prompts and checks apply). ``model`` picks the
answer mode: ``newsqa`` (the default mode), ``newsqa-llm`` or ``newsqa-extractive``.
Citations, ``refused``, ``mode`` and ``fallback`` travel in extra fields of the response,
and of the LAST chunk only when streaming.

Streaming sends the role at once, then the verified answer, then the closing chunk with the
citations and ``data: [DONE]``. Unlike ``/ask/stream`` it does not relay the model's raw
tokens: OpenAI clients render the concatenated deltas as the message and have no way to
take back a sentence that verification removes, so only verified text is sent.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sse_starlette.sse import EventSourceResponse

from service.answering.base import Answer, Turn
from service.ask.ask_service import AskInput
from service.ask.filter_fields import FILTER_FIELDS, FilterFields, from_strings
from service.deps import AskServiceDep
from service.errors import ApiError

router = APIRouter(tags=["openai"])

MODELS: dict[str, Literal["extractive", "llm"] | None] = {
    "newsqa": None,
    "newsqa-llm": "llm",
    "newsqa-extractive": "extractive",
}


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # [{"type": "text", "text": ...}, ...]
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatCompletionRequest(FilterFields):
    # Sampling options (temperature, max_tokens, ...) are accepted and ignored: the service
    # configures its own model, and extractive answers have none.
    model_config = ConfigDict(
        extra="allow",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "model": "newsqa",
                    "messages": [{"role": "user", "content": "What did Ushakov say?"}],
                }
            ]
        },
    )
    model: str = Field("newsqa", description="`newsqa`, `newsqa-llm` or `newsqa-extractive`.")
    messages: list[ChatMessage] = Field(min_length=1, description="The conversation.")
    stream: bool = Field(False, description="Answer as Server-Sent Events chunks.")
    metadata: dict[str, Any] | None = Field(
        None,
        description="OpenAI's request metadata. The filter fields (`sources`, `sites`, "
        "`date_from`, `date_to`, `authors`) may come here instead of at the top level "
        "(string values: lists joined by `,`, authors by `;`); other keys are ignored.",
    )

    def to_input(self) -> AskInput:
        turns = [m for m in self.messages if m.role in ("user", "assistant")]
        if not turns or turns[-1].role != "user":
            raise ApiError(422, "messages: the last user or assistant message must be the user's")
        history = tuple(Turn(m.role, m.text()) for m in turns[:-1])  # type: ignore[arg-type]
        fields = self._filter_fields()
        return AskInput(
            question=turns[-1].text(),
            history=history,
            mode=MODELS.get(self.model),
            filter=fields.to_filter(),
            as_of=fields.as_of,
        )

    def _filter_fields(self) -> FilterFields:
        """The filter (and ``as_of``) from the top level (``extra_body``) or from
        ``metadata``, not both."""
        given = {k: v for k, v in (self.metadata or {}).items() if k in FILTER_FIELDS}
        if not given:
            return self
        if self.to_filter() is not None or self.as_of is not None:
            raise ApiError(
                422, "metadata: give the filter at the top level or in metadata, not both"
            )
        try:
            return FilterFields.model_validate(from_strings(given))
        except ValidationError as exc:
            problems = [
                f"metadata.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            ]
            raise ApiError(422, "; ".join(problems)) from None


def _citations(answer: Answer) -> list[dict[str, Any]]:
    return [asdict(c) for c in answer.citations]


def _extras(answer: Answer) -> dict[str, Any]:
    return {
        "citations": _citations(answer),
        "refused": answer.refused,
        "mode": answer.mode,
        "fallback": answer.fallback,
        "refusal_reason": answer.refusal_reason,
        "answerability": answer.answerability,
        "standalone_question": answer.standalone_question,
        "time_range": answer.time_range,
        "as_of": answer.as_of,
        "disputed": answer.disputed,
        "conflicts": answer.conflicts,
    }


@router.get("/v1/models")
async def models() -> dict[str, Any]:
    """The names ``model`` may take."""
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": 0, "owned_by": "newsqa"} for m in MODELS],
    }


@router.post(
    "/v1/chat/completions",
    response_model=None,
    responses={
        200: {
            "description": "A chat completion, or with `stream: true` its chunks as "
            "Server-Sent Events",
            "content": {"application/json": {}, "text/event-stream": {}},
        }
    },
)
async def chat_completions(
    body: ChatCompletionRequest, service: AskServiceDep
) -> dict[str, Any] | EventSourceResponse:
    """The answer as an OpenAI chat completion, with its citations in `citations`."""
    data = body.to_input()
    service.validate(data)  # 4xx before any stream starts
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        answer = await service.ask(data)
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer.answer},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            **_extras(answer),
        }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, str]:
        payload = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": body.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return {"data": json.dumps(payload)}

    async def events() -> AsyncIterator[dict[str, str]]:
        yield chunk({"role": "assistant", "content": ""})
        try:
            async for item in service.stream(data):
                if isinstance(item, Answer):
                    if item.answer:
                        yield chunk({"content": item.answer})
                    yield chunk({}, "stop", **_extras(item))
        except Exception as exc:  # in-band, as OpenAI streams report errors
            code = getattr(exc, "code", "internal_error")
            detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
            yield {"data": json.dumps({"error": {"message": detail, "type": code}})}
        yield {"data": "[DONE]"}

    return EventSourceResponse(
        events(),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        ping=10,
        sep="\n",
    )
