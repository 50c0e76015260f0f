"""When the service refuses, why, and in which words: decided here, never by a model.

Every check is a property of the question and of the retrieved evidence, not of known
questions. In order (the first that holds decides):

- ``instruction``: the message addresses the system (override, role play, prompt
  extraction) instead of asking about the articles;
- ``empty_index``: there is nothing to answer from;
- ``unknown_terms``: a specific term of the question (a name, a number) that the corpus
  never mentions;
- ``no_evidence``: it asks what X said and the articles report X saying nothing; or the
  fitted probability that the best candidate sentence holds the answer
  (:mod:`answering.scorer`) is below the threshold chosen on the tuning splits (recorded
  in the weights file beside the weights); or, when the fit measured that it helps on
  the tuning splits (``no_figure_rule`` in the weights file), it asks for a figure and no
  retrieved sentence among its terms holds one.

:data:`REFUSAL_TEXT` is the one refusal sentence: the llm mode declines with it, and
``prompts/system.txt`` tells the model to use it (a test keeps the file in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from service.answering.scorer import SentenceScorer
from service.answering.support import coverage, question_keys, unknown_terms
from service.language.keys import name_key
from service.language.question import answer_shape, asked_speaker, asks_for_number, is_instruction
from service.language.speech import SPEECH_VERBS
from service.language.text import words
from service.retrieval.hybrid import Retrieval

REFUSAL_TEXT = "The articles do not cover this."
INSTRUCTION_TEXT = "I can only answer questions about the news articles in the index."
EMPTY_INDEX_TEXT = "The index holds no articles yet."

RefusalReason = Literal["instruction", "empty_index", "unknown_terms", "no_evidence"]


@dataclass(frozen=True)
class Refusal:
    """Why the service refuses, and the answer text that says so."""

    reason: RefusalReason
    text: str


def silent_speaker(question: str, retrieval: Retrieval) -> str | None:
    """For "What did X say?": X as written, when the articles never report X speaking.

    X must be known to the corpus (else the unknown-terms check answers) but appear in no
    sentence attributed to X and in no retrieved sentence that reports speech at all.
    """
    snap = retrieval.snapshot
    speaker = asked_speaker(question, snap.names)
    if speaker is None:
        return None
    canon, written = speaker
    if canon in snap.said_by:
        return None
    key = name_key(canon)
    for ev in retrieval.evidence:
        if key in snap.keys_of(ev.ref.text) and set(words(ev.ref.text)) & SPEECH_VERBS:
            return None
    return written


# "How many X?" is only answered by a figure among the question's terms: a sentence with a
# number that covers at least this share of them (IDF weighted), with its neighbours.
_FIGURE_SUPPORT = 0.5


def no_figure(question: str, retrieval: Retrieval) -> bool:
    """It asks for a figure and no retrieved sentence among its terms holds one."""
    shape = answer_shape(question)
    if not asks_for_number(question) or shape is None:
        return False
    snap = retrieval.snapshot
    keys = [k for _, k in question_keys(question, snap)]
    for ev in retrieval.evidence:
        if shape.search(ev.ref.text):
            context = " ".join([*(r.text for r in ev.before), ev.ref.text])
            context = " ".join([context, *(r.text for r in ev.after)])
            if coverage(keys, snap.keys_of(context), snap) >= _FIGURE_SUPPORT:
                return False
    return True


def rule_refusal(original: str, standalone: str, retrieval: Retrieval) -> Refusal | None:
    """The refusals that do not weigh evidence: an instruction, an empty index, a term the
    corpus never mentions, a person it never reports speaking."""
    if is_instruction(original):
        return Refusal("instruction", INSTRUCTION_TEXT)
    snap = retrieval.snapshot
    if not snap.sentences:
        return Refusal("empty_index", EMPTY_INDEX_TEXT)
    missing = unknown_terms(standalone, snap)
    if missing:
        listed = ", ".join(f"“{m}”" for m in missing)
        return Refusal("unknown_terms", f"{REFUSAL_TEXT} They do not mention {listed}.")
    silent = silent_speaker(standalone, retrieval)
    if silent:
        return Refusal("no_evidence", f"{REFUSAL_TEXT} They report nothing {silent} said.")
    return None


def refusal(
    original: str, standalone: str, retrieval: Retrieval, scorer: SentenceScorer
) -> Refusal | None:
    """A refusal when the corpus does not support an answer, else None.

    ``original`` is the message as the user wrote it (instructions are judged on it);
    ``standalone`` the question with the conversation folded in (all other checks). After
    the rules, the evidence decides: the fitted probability that the best candidate sentence
    holds the answer, against the threshold chosen with it on the tuning splits.
    """
    ruled = rule_refusal(original, standalone, retrieval)
    if ruled is not None:
        return ruled
    if scorer.score(standalone, retrieval).best < scorer.weights.refuse_below:
        return Refusal("no_evidence", REFUSAL_TEXT)
    if scorer.weights.no_figure_rule and no_figure(standalone, retrieval):
        return Refusal("no_evidence", f"{REFUSAL_TEXT} They give no figure.")
    return None
