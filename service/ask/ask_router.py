"""POST /ask and POST /ask/stream: request and response models, one call each."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from sse_starlette.sse import EventSourceResponse

from service.answering.base import Answer, Turn
from service.ask.ask_service import AskInput
from service.ask.filter_fields import FilterFields
from service.deps import AskServiceDep
from service.errors import UNAVAILABLE_DETAIL
from service.index.errors import IndexUnavailable

router = APIRouter(tags=["ask"])


def _whole_float_to_int(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# JSON Schema's "integer" includes 2.0; strict pydantic would refuse it (the schema rules).
TopK = Annotated[int, Field(ge=1, le=50), BeforeValidator(_whole_float_to_int)]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Literal["user", "assistant"] = Field(description="Who wrote the message.")
    content: str = Field(description="The message text.")


class AskRequest(FilterFields):
    # strict: `"include_retrieval": 0` is an error, as the schema says, not a silent False.
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"question": "What did Ushakov say?"},
                {
                    "question": "What did the union leader say?",
                    "sites": ["bbc.co.uk"],
                    "date_from": "2024-12-01",
                    "date_to": "2024-12-31",
                },
                {
                    "question": "And what did Kallas say?",
                    "history": [
                        {"role": "user", "content": "What did Macron say about the plan?"},
                        {"role": "assistant", "content": "Macron said ... [1]"},
                    ],
                },
            ]
        },
    )
    question: str = Field(description="The question, in plain words.")
    history: list[Message] = Field(
        default_factory=list, description="The conversation so far, oldest first."
    )
    top_k: TopK | None = Field(None, description="Evidence sentences to consider.")
    mode: Literal["extractive", "llm"] | None = Field(
        None, description="Answer mode; default: `llm` when an LLM is configured."
    )
    include_retrieval: bool = Field(
        False, description="Add the ranked evidence list (`retrieved`) to the response."
    )

    def to_input(self) -> AskInput:
        return AskInput(
            question=self.question,
            history=tuple(Turn(m.role, m.content) for m in self.history),
            top_k=self.top_k,
            mode=self.mode,
            filter=self.to_filter(),
            as_of=self.as_of,
        )


def _with_nulls(out: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The document fields stay in the body as null when unknown (the responses drop
    other nulls), so a client can tell "no date" from "an older service"."""
    for key in keys:
        out.setdefault(key, None)
    return out


class CarrierOut(BaseModel):
    source: str = Field(description="Another member of the cited story carrying the sentence.")
    sentence: int = Field(description="Its sentence number in that file.")
    title: str | None = None
    date: str | None = None
    url: str | None = None
    site: str | None = None
    link: str | None = None
    verified: bool = Field(
        False,
        description="The service checked that this member's sentence is, word for word, "
        "the citation's `text`.",
    )

    @model_serializer(mode="wrap")
    def _keep_nulls(self, handler: SerializerFunctionWrapHandler):
        return _with_nulls(handler(self), ("title", "date", "url", "site", "link"))


class IndependentOut(BaseModel):
    source: str = Field(description="One supporting cluster's earliest supporting member.")
    sentence: int
    date: str | None = None
    site: str | None = None

    @model_serializer(mode="wrap")
    def _keep_nulls(self, handler: SerializerFunctionWrapHandler):
        return _with_nulls(handler(self), ("date", "site"))


class CorroborationOut(BaseModel):
    clusters: int = Field(
        description="Independent sources: distinct story clusters among the documents that "
        "support the claim (copies of one story count once)."
    )
    sites: int = Field(description="Distinct site domains among them (known sites only).")
    documents: int = Field(description="Supporting documents, copies included.")
    independent: list[IndependentOut] = Field(
        description="One document per supporting cluster, earliest first."
    )


class CitationOut(BaseModel):
    id: int = Field(description="`[id]` in the answer refers to this citation.")
    source: str = Field(description="File name of the article.")
    sentence: int = Field(description="1-based sentence number within the file.")
    text: str = Field(description="The sentence exactly as stored (white space collapsed).")
    title: str | None = Field(None, description="The article's title; null when unknown.")
    date: str | None = Field(
        None, description="The article's publication date (YYYY-MM-DD); null when unknown."
    )
    url: str | None = Field(
        None, description="The article's own page (where it was fetched); null for files."
    )
    site: str | None = Field(
        None,
        description="The article's site, as a domain (`bbc.co.uk`; the `sites` filter names "
        "it); null when unknown.",
    )
    link: str | None = Field(
        None,
        description="`url` with a text fragment (`#:~:text=`): the original page scrolled "
        "to this sentence, highlighted; null when `url` is.",
    )
    verified: bool = Field(
        False,
        description="The service checked that `text` is, word for word, sentence "
        "`sentence` of `source` in the index.",
    )
    also_carried_by: list[CarrierOut] = Field(
        default_factory=list,
        description="Other members of this sentence's story cluster (copies, re-publications, "
        "updates) carrying it word for word, by date; `source` is the earliest that does.",
    )
    also_carried_by_count: int = Field(
        0,
        description="How many members carry it besides `source` (`also_carried_by` lists "
        "the first `NEWSQA_ANSWER__MAX_COPIES_LISTED`).",
    )
    corroboration: CorroborationOut | None = Field(
        None,
        description="How many independent sources support the claim this citation is on "
        "(the same for every citation of one answer sentence). docs/API.md says what counts.",
    )

    # No return annotation on purpose: with one, pydantic would document the model as a
    # bare object in the OpenAPI schema instead of its fields.
    @model_serializer(mode="wrap")
    def _keep_nulls(self, handler: SerializerFunctionWrapHandler):
        """The document fields stay in the body as null when unknown (the responses drop
        other nulls), so a client can tell "no date" from "an older service"."""
        out: dict[str, Any] = handler(self)
        for key in ("title", "date", "url", "site", "link"):
            out.setdefault(key, None)
        return out


class RetrievedOut(BaseModel):
    source: str
    sentence: int
    score: float = Field(description="Fused retrieval score (dense + BM25).")
    text: str
    answers: float | None = Field(
        None, description="The reader's probability that this sentence answers the question."
    )


class AskResponse(BaseModel):
    answer: str
    refused: bool
    citations: list[CitationOut]
    mode: str
    fallback: str | None = None
    refusal_reason: str | None = Field(
        None,
        description="Why the service refused: `instruction`, `empty_index`, "
        "`no_documents_match_filter` (the request's filter admits no document), "
        "`unknown_terms`, `no_evidence` or `not_answerable` (the reader's answerability "
        "is below the fitted threshold).",
    )
    answerability: float | None = Field(
        None,
        description="The trained reader's probability (0-1) that the articles answer the "
        "question: its best over the candidate sentences.",
    )
    standalone_question: str | None = None
    time_range: dict[str, Any] | None = Field(
        None,
        description="The time the question and request asked about: `phrase` (the "
        "question's words, or `latest`), `from`/`to` (the date filter applied), `applied` "
        "(whether the question's period narrowed the archive), `latest`, `as_of`, "
        "`relative_to` (the day relative phrases count from).",
    )
    as_of: str | None = Field(
        None, description="The newest cited article's date: what the answer is as of."
    )
    disputed: bool = Field(
        False,
        description="The evidence disagrees (conflicting figures for one quantity, a claim "
        "and its denial, or an earlier report superseded by a later one); the answer says so "
        "and cites each side (`conflicts`).",
    )
    conflicts: list[dict[str, Any]] | None = Field(
        None,
        description='When `disputed`: `[{"kind", "quantity", "sides": [{"value", "citation", '
        '"reports": [{"source", "sentence", "date"}]}]}]`, each side\'s reports by date; '
        '`kind` is "figures", "denial" or "superseded" (whose sides also carry `report`: '
        '"earlier" or "later").',
    )
    timings_ms: dict[str, float] = Field(default_factory=dict)
    claims: list[dict[str, Any]] | None = None
    retrieved: list[RetrievedOut] | None = None

    @classmethod
    def from_answer(cls, a: Answer, include_retrieval: bool) -> AskResponse:
        return cls(
            answer=a.answer,
            refused=a.refused,
            citations=[CitationOut.model_validate(asdict(c)) for c in a.citations],
            mode=a.mode,
            fallback=a.fallback,
            refusal_reason=a.refusal_reason,
            answerability=None if a.answerability is None else round(a.answerability, 4),
            standalone_question=a.standalone_question,
            time_range=a.time_range,
            as_of=a.as_of,
            disputed=a.disputed,
            conflicts=a.conflicts or None,
            timings_ms=a.timings_ms,
            claims=a.claims or None,
            retrieved=[
                RetrievedOut(
                    source=e.ref.source,
                    sentence=e.ref.sentence,
                    score=e.score,
                    text=e.ref.text,
                    answers=None if e.answers is None else round(e.answers, 4),
                )
                for e in a.evidence
            ]
            if include_retrieval
            else None,
        )


@router.post("/ask", response_model=AskResponse, response_model_exclude_none=True)
async def ask(body: AskRequest, service: AskServiceDep) -> AskResponse:
    """Answer a question about the articles, citing file and sentence for every claim."""
    answer = await service.ask(body.to_input())
    return AskResponse.from_answer(answer, body.include_retrieval)


@router.post("/ask/stream", response_class=EventSourceResponse)
async def ask_stream(body: AskRequest, service: AskServiceDep) -> EventSourceResponse:
    """The answer as Server-Sent Events: `delta`* then `final` then `end` (or `error`)."""
    data = body.to_input()
    service.validate(data)  # errors before the stream starts are plain JSON 4xx

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            async for item in service.stream(data):
                if isinstance(item, Answer):
                    final = AskResponse.from_answer(item, body.include_retrieval)
                    yield {"event": "final", "data": final.model_dump_json(exclude_none=True)}
                else:
                    yield {"event": "delta", "data": json.dumps({"text": item})}
        except IndexUnavailable:  # what is down, not where
            yield {
                "event": "error",
                "data": json.dumps({"error": "index_unavailable", "detail": UNAVAILABLE_DETAIL}),
            }
        except Exception as exc:  # the stream has started: report in-band, never drop
            code = getattr(exc, "code", "internal_error")
            detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
            yield {"event": "error", "data": json.dumps({"error": code, "detail": detail})}
        yield {"event": "end", "data": "{}"}

    return EventSourceResponse(
        events(),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        ping=15,
    )
