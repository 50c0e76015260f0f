"""Answering a question: condense → retrieve → decide support → answer, timed per stage.

``ask`` and ``stream`` run the same pipeline (:meth:`AskService._run`); the stream only
delivers the answer's text as it is produced. The refusal rule is ``answering.refusal``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from starlette.concurrency import run_in_threadpool

from service.answering.base import Answer, Answerer, Question, Turn
from service.answering.conflicts import mark_conflicts
from service.answering.copies import listed
from service.answering.corroboration import corroborate
from service.answering.followup import condense
from service.answering.provenance import as_of_note, reported_as_of, with_provenance
from service.answering.refusal import Refusal, refusal
from service.container import Container
from service.errors import ApiError
from service.index.catalog import DocumentFilter
from service.language.question import is_instruction
from service.retrieval.hybrid import Retrieval
from service.retrieval.timeframe import TimeFrame, latest_filter, newest_answering_day, resolve


@dataclass(frozen=True)
class AskInput:
    question: str
    history: tuple[Turn, ...] = ()
    top_k: int | None = None
    mode: str | None = None
    filter: DocumentFilter | None = None  # the documents to answer from (None: all)
    as_of: dt.date | None = None  # asked as on this day: no article dated after it


class AskService:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.settings = container.settings

    # -- validation ---------------------------------------------------------------------
    def validate(self, data: AskInput) -> None:
        limits = self.settings.answer
        if not data.question.strip():
            raise ApiError(422, "question: must not be empty or only white space")
        if len(data.question) > limits.max_question_chars:
            raise ApiError(
                422,
                f"question: {len(data.question)} characters; the limit is "
                f"{limits.max_question_chars}",
            )
        if len(data.history) > limits.max_history_turns:
            raise ApiError(
                422,
                f"history: {len(data.history)} messages; the limit is {limits.max_history_turns}",
            )
        for i, turn in enumerate(data.history):
            if len(turn.content) > limits.max_history_chars:
                raise ApiError(
                    422,
                    f"history.{i}.content: {len(turn.content)} characters; the limit is "
                    f"{limits.max_history_chars}",
                )
        mode = self.mode_for(data)
        if mode not in self.container.answerers:
            raise ApiError(
                400 if mode == "llm" else 422,
                f"mode: {mode!r} is not available"
                + ("; no LLM is configured (see NEWSQA_LLM__BASE_URL)" if mode == "llm" else ""),
            )

    def mode_for(self, data: AskInput) -> str:
        return data.mode or self.settings.answer_mode

    # -- the pipeline -------------------------------------------------------------------
    async def _model_condense(self, data: AskInput) -> str | None:
        """A follow-up made standalone by the answerer itself (the llm mode's model), if it
        has an async ``condense``; None: use the rule-based ``condense``. Messages that
        instruct the system never reach the model: the refusal gate refuses them."""
        model_condense = getattr(self._answerer(data), "condense", None)
        if not data.history or model_condense is None or is_instruction(data.question):
            return None
        standalone: str | None = await model_condense(data.question, data.history)
        return standalone

    def _prepare(
        self, data: AskInput, condensed: str | None = None
    ) -> tuple[Question, Retrieval, Refusal | None, dict[str, float], TimeFrame]:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        state = self.container.state()
        snap = state.snapshot()
        standalone = condensed or condense(data.question, data.history, snap)
        timings["condense"] = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        frame = resolve(standalone, data.filter, data.as_of, snap)
        standalone = frame.searchable(standalone)  # an applied period is a filter now
        question = Question(data.question, standalone, data.history, data.top_k)
        retriever = self.container.retriever()
        retrieval = retriever.retrieve(standalone, data.top_k, frame.filter)
        if frame.asked.latest and retrieval.answerability:
            # "latest": again, from the newest day that has a sentence the reader finds
            # answering (half the best probability or more)
            day = newest_answering_day(
                retrieval.snapshot, retrieval.reading, 0.5 * retrieval.answerability
            )
            if day is not None:
                frame = replace(frame, filter=latest_filter(frame.filter, day), applied=True)
                retrieval = retriever.retrieve(standalone, data.top_k, frame.filter)
        timings["retrieve"] = (time.perf_counter() - t1) * 1000
        refused = refusal(
            question.original,
            standalone,
            retrieval,
            self.settings.answer,
            self.container.scorer.weights.policy,
        )
        return question, retrieval, refused, timings, frame

    def _answerer(self, data: AskInput) -> Answerer:
        return self.container.answerers[self.mode_for(data)]

    async def _run(self, data: AskInput, deliver_text: bool) -> AsyncIterator[str | Answer]:
        """The one pipeline. ``deliver_text``: yield the answer's text as it is produced
        (the answerer's ``stream``) before the final :class:`Answer`; else only the latter."""
        started = time.perf_counter()
        condensed = await self._model_condense(data)
        condense_ms = (time.perf_counter() - started) * 1000
        question, retrieval, refused, timings, frame = await run_in_threadpool(
            self._prepare, data, condensed
        )
        if condensed:
            timings["condense"] = condense_ms
        answerer = self._answerer(data)
        t = time.perf_counter()
        result: Answer
        if refused is not None:
            result = Answer(
                answer=refused.text,
                refused=True,
                citations=[],
                mode=answerer.mode,
                refusal_reason=refused.reason,
                standalone_question=question.standalone,
            )
            if deliver_text:
                yield refused.text
        elif deliver_text:
            result = Answer("", False, [], answerer.mode)
            async for item in answerer.stream(question, retrieval):
                if isinstance(item, Answer):
                    result = item
                else:
                    yield item
        else:
            result = await answerer.answer(question, retrieval)
        result, disputed = mark_conflicts(result, retrieval)
        if disputed and deliver_text:
            yield disputed
        citations = corroborate(  # copies capped first: only the listed need metadata
            result.answer,
            with_provenance(
                listed(result.citations, self.settings.answer.max_copies_listed),
                retrieval.snapshot,
            ),
            retrieval,
            self.settings.answer.same_claim_similarity,
        )
        as_of = None if result.refused else reported_as_of(citations)
        if as_of is not None:  # the answer says when its newest source reported it
            note = as_of_note(as_of)
            result = replace(result, answer=result.answer + note)
            if deliver_text:
                yield note
        timings["answer"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        yield replace(
            result,
            citations=citations,
            time_range=frame.echo(),
            as_of=as_of,
            timings_ms={k: round(v, 2) for k, v in timings.items()},
            evidence=retrieval.evidence,
            answerability=retrieval.answerability,
        )

    async def ask(self, data: AskInput) -> Answer:
        self.validate(data)
        async for item in self._run(data, deliver_text=False):
            if isinstance(item, Answer):
                return item
        raise AssertionError("the pipeline ends with an Answer")  # pragma: no cover

    async def stream(self, data: AskInput) -> AsyncIterator[str | Answer]:
        """Text deltas, then the final answer. Validate before the stream starts."""
        async for item in self._run(data, deliver_text=True):
            yield item
