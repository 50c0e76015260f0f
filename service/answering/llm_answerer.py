"""The ``llm`` answer mode: a model writes the answer from the evidence; the service checks it.

1. The refusal gate (``AskService.refusal``) has already run: the model is only called
   when retrieval found evidence that supports an answer.
2. The model sees the numbered evidence (``evidence_window``) and the prompts of
   ``prompts/``, and is asked to cite ``[n]`` after each sentence.
3. Its reply is split into sentences and every one is verified (``verification``):
   unsupported sentences are dropped, the rest keep only citations that support them, and
   citations are renumbered 1..n in order of first appearance.
4. Faults fall back to the extractive answer with ``fallback`` saying why: the model cannot
   be reached after the SDK's retries (``llm_timeout``, ``llm_unreachable``,
   ``llm_rate_limited``, ``llm_server_error``, ...), or it returns garbage
   (``llm_empty_answer``; ``llm_no_citations``, ``llm_citations_out_of_range`` or
   ``llm_unsupported_answer`` when not one sentence of it could be verified).

Streaming yields the model's raw tokens as they arrive, then the verified :class:`Answer`;
the final answer text may therefore differ from the concatenated deltas (unsupported
sentences removed, markers renumbered, or the extractive fallback).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

from starlette.concurrency import run_in_threadpool

from service.answering.base import Answer, Question, Turn
from service.answering.citations import (
    MARKER,
    CitationBook,
    MarkedSentence,
    split_marked,
    with_markers,
)
from service.answering.dated_claims import (
    Drafted,
    dated_order,
    day_words,
    reported,
    reported_by,
    without_attribution,
)
from service.answering.evidence_window import ShownEvidence, fit_evidence, format_evidence
from service.answering.extractive import ExtractiveAnswerer
from service.answering.prompts import Prompts
from service.answering.refusal import REFUSAL_TEXT
from service.answering.verification import Embed, Verification, Verifier
from service.components.embeddings import Embedder
from service.components.llm import ChatClient, Completion, LLMError, Message, TokenCounter
from service.language.pronouns import PRONOUNS
from service.language.text import QUESTION_WORDS, STOPWORDS, stem, words
from service.retrieval.hybrid import Retrieval
from service.settings import Settings

log = logging.getLogger(__name__)

_COMPLETE = re.compile(r"[.!?…][\"'”’)]*$")
_REPEAT = 0.8  # word-set overlap above which a sentence repeats an earlier one
_CONDENSE_PREFIX = re.compile(r"^\s*(?:rewritten|standalone)?\s*question\s*:\s*", re.IGNORECASE)


class LLMAnswerer:
    mode = "llm"

    def __init__(
        self,
        settings: Settings,
        client: ChatClient,
        prompts: Prompts,
        embed: Embed,
        extractive: ExtractiveAnswerer,
    ) -> None:
        self.settings = settings.llm
        self.client = client
        self.prompts = prompts
        self.embed = embed
        self.extractive = extractive
        self.counter = TokenCounter(settings.llm.model)

    @classmethod
    def from_settings(
        cls, settings: Settings, embedder: Callable[[], Embedder], extractive: ExtractiveAnswerer
    ) -> LLMAnswerer:
        """Loads and checks the prompts now, so that a broken prompt stops start-up."""
        prompts = Prompts.load(settings.llm.prompts_dir)
        return cls(
            settings,
            ChatClient(settings.llm),
            prompts,
            lambda texts: embedder().embed(texts),
            extractive,
        )

    # -- prompting ----------------------------------------------------------------------
    def build(
        self, question: Question, retrieval: Retrieval
    ) -> tuple[list[Message], list[ShownEvidence]]:
        """The chat messages, and the evidence they show (numbered as the model sees it)."""
        system = self.prompts.system.render()
        empty = self.prompts.answer.render(evidence="", question=question.standalone)
        frame = [{"role": "system", "content": system}, {"role": "user", "content": empty}]
        budget = self.settings.max_context_tokens - self.counter.count_messages(frame)
        snap = retrieval.snapshot
        reported = {ev.ref.source: reported_by(snap, ev.ref.source) for ev in retrieval.evidence}
        shown = fit_evidence(retrieval.evidence, self.counter, max(budget, 0), reported)
        user = self.prompts.answer.render(
            evidence=format_evidence(shown), question=question.standalone
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}], shown

    # -- answering ----------------------------------------------------------------------
    async def answer(self, question: Question, retrieval: Retrieval) -> Answer:
        messages, shown = self.build(question, retrieval)
        if not shown:
            return self.fallback(question, retrieval, "llm_no_evidence_fits")
        try:
            completion = await self.client.complete(messages)
        except LLMError as exc:
            log.warning("LLM call failed (%s); answering extractively", exc)
            return self.fallback(question, retrieval, exc.reason)
        return await run_in_threadpool(
            self.verified, question, retrieval, completion.text, shown, completion.truncated
        )

    async def stream(self, question: Question, retrieval: Retrieval) -> AsyncIterator[str | Answer]:
        messages, shown = self.build(question, retrieval)
        if not shown:
            yield self.fallback(question, retrieval, "llm_no_evidence_fits")
            return
        completion = Completion("")
        try:
            async for item in self.client.stream(messages):
                if isinstance(item, Completion):
                    completion = item
                else:
                    yield item
        except LLMError as exc:
            log.warning("LLM stream failed (%s); answering extractively", exc)
            yield self.fallback(question, retrieval, exc.reason)
            return
        yield await run_in_threadpool(
            self.verified, question, retrieval, completion.text, shown, completion.truncated
        )

    @staticmethod
    def _unattributed(
        sentences: list[MarkedSentence], retrieval: Retrieval, shown: list[ShownEvidence]
    ) -> list[MarkedSentence]:
        """The sentences without the "On <day>, <site> reported:" the prompt asks for: the
        claim is verified against the cited sentence alone, and the service writes the
        dated form itself (``dated_claims``)."""
        reports = [reported(retrieval.snapshot, s.evidence.ref.source) for s in shown]
        days = {day_words(r.day) for r in reports if r.day}
        names = {r.who for r in reports}
        return [replace(s, text=without_attribution(s.text, days, names)) for s in sentences]

    def fallback(self, question: Question, retrieval: Retrieval, reason: str) -> Answer:
        result = self.extractive.compose(question, retrieval)
        result.fallback = reason
        return result

    def verified(
        self,
        question: Question,
        retrieval: Retrieval,
        text: str,
        shown: list[ShownEvidence],
        truncated: bool = False,
    ) -> Answer:
        """The model's reply reduced to its verified sentences, or a fallback."""
        sentences = split_marked(text.strip())
        if truncated and sentences and not _COMPLETE.search(sentences[-1].text):
            sentences.pop()  # cut off at max_tokens mid-sentence
        if not sentences:
            return self.fallback(question, retrieval, "llm_empty_answer")
        sentences = self._unattributed(sentences, retrieval, shown)
        verifier = Verifier(retrieval.snapshot, self.embed, self.settings.support_threshold)
        check = verifier.check(sentences, shown)
        if not check.supported:
            if any(c.decline for c in check.claims):
                return Answer(
                    REFUSAL_TEXT,
                    refused=True,
                    citations=[],
                    mode=self.mode,
                    refusal_reason="model_declined",
                    standalone_question=question.standalone,
                    claims=[{**c.as_dict([]), "shown": False} for c in check.claims],
                )
            result = self.fallback(question, retrieval, garbage_reason(check))
            result.claims = [{**c.as_dict([]), "shown": False} for c in check.claims]
            return result
        kept: list[tuple[int, Drafted]] = []
        said: list[set[str]] = []
        for i, claim in enumerate(check.claims):
            terms = {w.lower() for w in words(claim.text)}
            if claim.supported and not any(_jaccard(terms, e) >= _REPEAT for e in said):
                kept.append((i, Drafted(claim.text, tuple(claim.refs))))
                said.append(terms)
        # newest first and dated when the cited documents differ in date (``dated_claims``)
        ordered = dated_order([d for _, d in kept], retrieval.snapshot)
        book = CitationBook(snapshot=retrieval.snapshot, scope=retrieval.scope)
        parts: list[str] = []
        ids_of: dict[int, list[int]] = {}
        for k, drafted in ordered:
            i = kept[k][0]
            ids_of[i] = book.cite_claim(list(drafted.refs))
            parts.append(with_markers(drafted.text, ids_of[i]))
        claims: list[dict[str, object]] = []
        for i, claim in enumerate(check.claims):
            shown_claim = i in ids_of
            extra = {"repeated": True} if claim.supported and not shown_claim else {}
            claims.append({**claim.as_dict(ids_of.get(i, [])), "shown": shown_claim, **extra})
        return Answer(
            " ".join(parts),
            refused=False,
            citations=book.citations,
            mode=self.mode,
            standalone_question=question.standalone,
            claims=claims,
        )

    # -- follow-ups -----------------------------------------------------------------------
    async def condense(self, question: str, history: tuple[Turn, ...]) -> str | None:
        """The follow-up rewritten by the model into a standalone question, or None (then
        the rule-based method is used) when the model fails or its rewrite is not safe."""
        if not history:
            return None
        lines = [f"{t.role}: {MARKER.sub('', t.content).strip()}" for t in history[-6:]]
        prompt = self.prompts.condense.render(history="\n".join(lines), question=question)
        try:
            completion = await self.client.complete(
                [{"role": "user", "content": prompt}], max_tokens=80
            )
        except LLMError as exc:
            log.warning("LLM condensation failed (%s); using the rule-based one", exc)
            return None
        return accept_condensed(question, history, completion.text)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def garbage_reason(check: Verification) -> str:
    if check.markers_total == 0:
        return "llm_no_citations"
    if check.markers_in_range == 0:
        return "llm_citations_out_of_range"
    return "llm_unsupported_answer"


def accept_condensed(question: str, history: tuple[Turn, ...], reply: str) -> str | None:
    """The model's rewrite if it is one question, keeps every content word of the follow-up,
    names someone from the conversation when the follow-up said "he" or "she", and brings
    in no name the conversation did not use; else None."""
    line = next((ln for ln in reply.strip().splitlines() if ln.strip()), "")
    line = _CONDENSE_PREFIX.sub("", line).strip().strip("\"'“”‘’ ")
    size = len(line.split())
    if not line.endswith("?") or not 3 <= size <= len(question.split()) + 15:
        return None
    history_text = " ".join(t.content for t in history)
    if any(w.lower() in PRONOUNS for w in words(question)):
        named = {w for w in words(history_text) if w[:1].isupper()}
        if not any(w in named for w in words(line)[1:]):
            return None  # the pronoun was not resolved
    out_stems = {stem(w) for w in words(line)}
    needed = {
        stem(w)
        for w in words(question)
        if w.lower() not in STOPWORDS | QUESTION_WORDS | PRONOUNS and len(w) > 2
    }
    if not needed <= out_stems:
        return None
    seen = {stem(w) for w in words(f"{question} {history_text}")}
    invented = [w for w in words(line)[1:] if w[:1].isupper() and stem(w) not in seen]
    return None if invented else line
