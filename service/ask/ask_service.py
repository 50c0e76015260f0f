"""Answering a question: condense → retrieve → decide support → answer, timed per stage."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from service.answering.base import Answer, Answerer, Question, Turn
from service.answering.extractive import answer_shape, silent_speaker
from service.answering.followup import condense
from service.answering.support import (
    asks_for_number,
    coverage,
    is_instruction,
    question_keys,
    unknown_terms,
)
from service.container import Container
from service.errors import ApiError
from service.retrieval.hybrid import Retrieval

REFUSAL_TEXT = "The articles do not cover this."


@dataclass(frozen=True)
class AskInput:
    question: str
    history: tuple[Turn, ...] = ()
    top_k: int | None = None
    mode: str | None = None


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
    ) -> tuple[Question, Retrieval, Answer | None, dict]:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        state = self.container.state()
        snap = state.snapshot()
        standalone = condensed or condense(data.question, data.history, snap)
        timings["condense"] = (time.perf_counter() - t0) * 1000
        question = Question(data.question, standalone, data.history, data.top_k)
        t1 = time.perf_counter()
        retrieval = self.container.retriever().retrieve(standalone, data.top_k)
        timings["retrieve"] = (time.perf_counter() - t1) * 1000
        refusal = self.refusal(question, retrieval)
        return question, retrieval, refusal, timings

    def refusal(self, question: Question, retrieval: Retrieval) -> Answer | None:
        """A refusal when the corpus does not support an answer, else None."""
        text = question.standalone
        snap = retrieval.snapshot
        if is_instruction(question.original):
            return self._refuse(
                question,
                "instruction",
                "I can only answer questions about the news articles in the index.",
            )
        if not snap.sentences:
            return self._refuse(question, "empty_index", "The index holds no articles yet.")
        missing = unknown_terms(text, snap)
        if missing:
            listed = ", ".join(f"“{m}”" for m in missing)
            return self._refuse(
                question, "unknown_terms", f"{REFUSAL_TEXT} They do not mention {listed}."
            )
        keys = [k for _, k in question_keys(text, snap)]
        wants_number = asks_for_number(text)
        shape = answer_shape(text)
        best_cov, best_dense = 0.0, -1.0
        numeric = False
        for ev in retrieval.evidence:
            context = " ".join(
                [*(r.text for r in ev.before), ev.ref.text, *(r.text for r in ev.after)]
            )
            cov = coverage(keys, snap.keys_of(context), snap)
            best_cov = max(best_cov, cov)
            best_dense = max(best_dense, ev.dense or -1.0)
            # A figure only answers "how many X" when it sits among the question's terms.
            if wants_number and shape is not None and shape.search(ev.ref.text):
                numeric = numeric or cov >= self.settings.answer.min_support
        limits = self.settings.answer
        worded = best_cov >= limits.min_support
        if best_dense < limits.min_dense_similarity or (
            not worded and best_dense < limits.confident_dense_similarity
        ):
            return self._refuse(question, "no_evidence", REFUSAL_TEXT)
        silent = silent_speaker(text, retrieval)
        if silent:
            return self._refuse(
                question, "no_evidence", f"{REFUSAL_TEXT} They report nothing {silent} said."
            )
        if wants_number and not numeric:
            return self._refuse(question, "no_evidence", f"{REFUSAL_TEXT} They give no figure.")
        return None

    def _refuse(self, question: Question, reason: str, text: str) -> Answer:
        return Answer(
            answer=text,
            refused=True,
            citations=[],
            mode="refusal",
            refusal_reason=reason,
            standalone_question=question.standalone,
        )

    def _answerer(self, data: AskInput) -> Answerer:
        return self.container.answerers[self.mode_for(data)]

    async def ask(self, data: AskInput) -> Answer:
        self.validate(data)
        started = time.perf_counter()
        condensed = await self._model_condense(data)
        condense_ms = (time.perf_counter() - started) * 1000
        question, retrieval, refusal, timings = await run_in_threadpool(
            self._prepare, data, condensed
        )
        if condensed:
            timings["condense"] = condense_ms
        answerer = self._answerer(data)
        t = time.perf_counter()
        result = refusal or await answerer.answer(question, retrieval)
        if refusal:
            result.mode = answerer.mode
        timings["answer"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        result.timings_ms = {k: round(v, 2) for k, v in timings.items()}
        result.evidence = retrieval.evidence
        return result

    async def stream(self, data: AskInput) -> AsyncIterator[str | Answer]:
        """Text deltas, then the final answer. Validate before the stream starts."""
        started = time.perf_counter()
        condensed = await self._model_condense(data)
        question, retrieval, refusal, timings = await run_in_threadpool(
            self._prepare, data, condensed
        )
        answerer = self._answerer(data)
        if refusal:
            refusal.mode = answerer.mode
            final: Answer = refusal
            yield refusal.answer
        else:
            final = Answer("", False, [], answerer.mode)
            async for item in answerer.stream(question, retrieval):
                if isinstance(item, Answer):
                    final = item
                else:
                    yield item
        timings["total"] = (time.perf_counter() - started) * 1000
        final.timings_ms = {k: round(v, 2) for k, v in timings.items()}
        final.evidence = retrieval.evidence
        yield final
