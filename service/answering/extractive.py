"""The offline answer mode: choose the few sentences that answer, merge repeats, cite them.

No model writes anything: every claim of the answer is a sentence of the corpus (at most
with a leading "He"/"She" replaced by the name it stands for), so every citation supports
its claim by construction. What this module decides is *which* sentences:

- relevance: the probability that the sentence holds the answer, from the fitted sentence
  scorer (:mod:`answering.scorer` over :mod:`answering.features`: fused rank, dense
  similarity, the question's terms the sentence and its neighbours cover, answer type,
  speaker for "What did X say?"...); claims whose probability is near the best one's
  (``keep_ratio`` of the weights file) are kept, at most ``max_claims``;
- the same fact reported by several sources becomes one claim citing all of them
  (near-paraphrases from different files, or the same speaker's statement reported twice),
  unless their figures differ: then they are two reports (and, dated, ``dated_claims``
  orders them newest first).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np

from service.answering.base import Answer, Question
from service.answering.citations import CitationBook, with_markers
from service.answering.copies import fold, story_of
from service.answering.dated_claims import Drafted, newest_first
from service.answering.facts import text_facts
from service.answering.scorer import SentenceScorer
from service.answering.superseded import reverses
from service.index.corpus import CorpusSnapshot
from service.language.keys import name_key
from service.language.pronouns import SPEAKER_PRONOUN
from service.language.quantities import disagree
from service.retrieval.evidence import SentenceRef
from service.retrieval.hybrid import Retrieval
from service.settings import AnswerSettings

# Two sentences from different files state one fact when they are near-paraphrases, or
# when the same speaker is reported saying something close (one statement, two reports).
_SAME_FACT = 0.8
_SAME_STATEMENT = 0.65
_WORD_BUDGET = 90  # claims are added while the answer stays within this many words
_MIN_CLAIM_WORDS = 5  # "“What a mess.”" means nothing on its own


def _figures_differ(snap: CorpusSnapshot, a: int, b: int) -> bool:
    """Two reports, not one fact: figures for one quantity that disagree ("12 killed",
    "nine died": ``quantities.disagree``), or both sentences giving figures and not the
    same ones (a story's versions say "27 cases", then "41 cases" in the same words), or a
    status and its reversal ("arrested", "released": ``superseded.reverses``)."""
    ta, tb = snap.sentences[a].text, snap.sentences[b].text
    x, y = text_facts(ta, snap).numbers, text_facts(tb, snap).numbers
    return disagree(ta, tb) or (bool(x and y) and x != y) or reverses(ta, tb)


@dataclass
class Claim:
    positions: list[int] = field(default_factory=list)
    score: float = 0.0


class ExtractiveAnswerer:
    mode = "extractive"

    def __init__(self, settings: AnswerSettings, scorer: SentenceScorer) -> None:
        self.settings = settings
        self.scorer = scorer

    @staticmethod
    def _same_fact(snap: CorpusSnapshot, a: int, b: int) -> bool:
        if snap.sentences[a].source == snap.sentences[b].source:
            return False
        cos = float(np.dot(snap.vector(a), snap.vector(b)))
        speaker = snap.speakers[a]
        close = cos >= _SAME_FACT or (
            speaker is not None and speaker == snap.speakers[b] and cos >= _SAME_STATEMENT
        )
        # the cosine first: it rules out most pairs at a dot product's cost, and reading
        # both sentences' figures costs ~1 ms a pair
        return close and not _figures_differ(snap, a, b)

    def select(self, question: str, retrieval: Retrieval) -> tuple[list[Claim], str | None]:
        """The claims of the answer, best first, each with the sentences that state it."""
        scored = self.scorer.score(question, retrieval)
        speaker_written = scored.speaker_written
        if not scored.positions:
            return [], speaker_written
        snap = retrieval.snapshot
        floor = scored.best * self.scorer.weights.keep_ratio
        claims: list[Claim] = []
        used_words = 0
        for pos, prob in zip(scored.positions[:30], scored.probabilities, strict=False):
            if prob < floor:
                break
            home = next((c for c in claims if self._same_fact(snap, c.positions[0], pos)), None)
            if home is not None and any(
                story_of(snap, p) == story_of(snap, pos) for p in home.positions
            ):
                continue  # one citation per story (a file, or copies of it) and claim
            if home is not None:
                if len(home.positions) < self.settings.max_sources_per_claim:
                    home.positions.append(pos)
            elif len(claims) < self.settings.max_claims:
                length = len(snap.sentences[pos].text.split())
                if claims and (used_words + length > _WORD_BUDGET or length < _MIN_CLAIM_WORDS):
                    continue
                claims.append(Claim([pos], prob))
                used_words += length
        return claims, speaker_written

    def compose(self, question: Question, retrieval: Retrieval) -> Answer:
        claims, speaker_written = self.select(question.standalone, retrieval)
        snap = retrieval.snapshot
        drafted = [
            Drafted(
                self._readable(snap, claim.positions[0], speaker_written),
                tuple(  # each story's original first, its copies listed in the citation
                    SentenceRef(s.source, s.number, s.text)
                    for s in (
                        snap.sentences[c.position]
                        for c in fold(snap, claim.positions, retrieval.scope)
                    )
                ),
            )
            for claim in claims
        ]
        book = CitationBook(snapshot=snap, scope=retrieval.scope)
        parts = [
            with_markers(d.text, book.cite_claim(list(d.refs))) for d in newest_first(drafted, snap)
        ]
        return Answer(
            answer=" ".join(parts),
            refused=False,
            citations=book.citations,
            mode=self.mode,
            standalone_question=question.standalone,
        )

    @staticmethod
    def _readable(snap: CorpusSnapshot, pos: int, speaker_written: str | None) -> str:
        """The sentence, with a pronoun standing for its speaker replaced by the name.

        Only the answer text changes; the citation keeps the sentence as the file has it.
        """
        text = snap.sentences[pos].text
        canon = snap.speakers[pos]
        if canon is None or name_key(canon) in snap.keys_of(text):
            return text
        written = (
            speaker_written
            if speaker_written and snap.names.resolve(speaker_written) == canon
            else snap.names.display(canon)
        )
        return SPEAKER_PRONOUN.sub(written, text, count=1)

    async def answer(self, question: Question, retrieval: Retrieval) -> Answer:
        return self.compose(question, retrieval)

    async def stream(self, question: Question, retrieval: Retrieval) -> AsyncIterator[str | Answer]:
        result = self.compose(question, retrieval)
        yield result.answer
        yield result
