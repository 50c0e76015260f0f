"""When the service refuses, why, and in which words: decided here, and only here.

Every check is a property of the question, of the retrieved evidence and of the trained
reader's probabilities, not of known questions. In order (the first that holds decides):

- ``instruction``: the message addresses the system (override, role play, prompt
  extraction) instead of asking about the articles;
- ``empty_index``: there is nothing to answer from;
- ``no_documents_match_filter``: the request's filter (sources, sites, dates, authors)
  admits no document; the refusal names the filter, and nothing is answered from the
  rest of the archive;
- ``unknown_terms``: a specific term of the question (a name, a number) that the corpus
  never mentions;
- ``no_evidence``: the evidence is too far from the question (dense similarity) or covers
  too little of its terms; or it asks what X said and the articles report X saying
  nothing; or it asks for a figure and no evidence among its terms holds one (these
  evidence rules apply when the fitted policy keeps them: ``evidence_rules``);
- ``not_answerable``: the reader's best probability over the candidates (the question's
  answerability) is below the threshold fitted on the tuning splits
  (``python -m eval fit-scorer``; ``answer.min_answerability`` overrides it). Not for
  "What did X say?" when the corpus attributes sentences to X (:func:`reader_decides`):
  the reader was trained on SQuAD, which asks nothing so open, and the attribution itself
  says the articles answer (the silent-speaker rule covers the opposite case).

:data:`REFUSAL_TEXT` is the one refusal sentence: the llm mode declines with it, and
``prompts/system.txt`` tells the model to use it (a test keeps the file in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from service.answering.support import coverage, question_keys, unknown_terms
from service.language.keys import name_key
from service.language.question import answer_shape, asked_speaker, asks_for_number, is_instruction
from service.language.speech import SPEECH_VERBS
from service.language.text import words
from service.retrieval.hybrid import Retrieval
from service.settings import AnswerSettings

REFUSAL_TEXT = "The articles do not cover this."
INSTRUCTION_TEXT = "I can only answer questions about the news articles in the index."
EMPTY_INDEX_TEXT = "The index holds no articles yet."

RefusalReason = Literal[
    "instruction",
    "empty_index",
    "no_documents_match_filter",
    "unknown_terms",
    "no_evidence",
    "not_answerable",
]


@dataclass(frozen=True)
class Policy:
    """The fitted part of the rule: the reader's threshold, and whether the evidence rules
    (similarity, coverage, silent speaker, missing figure) still apply beside it."""

    min_answerability: float | None = None  # None: the reader does not refuse
    evidence_rules: bool = True


@dataclass(frozen=True)
class Refusal:
    """Why the service refuses, and the answer text that says so."""

    reason: RefusalReason
    text: str
    answerability: float | None = None  # the reader's best probability, when it read


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


def refusal(
    original: str,
    standalone: str,
    retrieval: Retrieval,
    limits: AnswerSettings,
    policy: Policy = Policy(),
) -> Refusal | None:
    """A refusal when the corpus does not support an answer, else None.

    ``original`` is the message as the user wrote it (instructions are judged on it);
    ``standalone`` the question with the conversation folded in (all other checks).
    """
    text = standalone
    snap = retrieval.snapshot
    if is_instruction(original):
        return Refusal("instruction", INSTRUCTION_TEXT)
    if not snap.sentences:
        return Refusal("empty_index", EMPTY_INDEX_TEXT)
    if retrieval.scope is not None and retrieval.scope.empty:
        return Refusal(
            "no_documents_match_filter",
            f"No article matches the filter ({retrieval.scope.filter.describe()}).",
        )
    answerability = retrieval.answerability
    missing = unknown_terms(text, snap)
    if missing:
        listed = ", ".join(f"“{m}”" for m in missing)
        return Refusal(
            "unknown_terms", f"{REFUSAL_TEXT} They do not mention {listed}.", answerability
        )
    if policy.evidence_rules:
        ruled = evidence_refusal(text, retrieval, limits)
        if ruled is not None:
            return Refusal(ruled.reason, ruled.text, answerability)
    threshold = (
        None
        if not reader_decides(text, retrieval)
        else limits.min_answerability
        if limits.min_answerability is not None
        else policy.min_answerability
    )
    if threshold is not None and answerability is not None and answerability < threshold:
        return Refusal("not_answerable", REFUSAL_TEXT, answerability)
    return None


def reader_decides(question: str, retrieval: Retrieval) -> bool:
    """Whether the reader's answerability may refuse ``question``: not when it asks what a
    speaker said and the corpus reports that speaker saying something."""
    snap = retrieval.snapshot
    speaker = asked_speaker(question, snap.names)
    return speaker is None or speaker[0] not in snap.said_by


def evidence_refusal(text: str, retrieval: Retrieval, limits: AnswerSettings) -> Refusal | None:
    """The evidence rules: too far or too little covered, a silent speaker, no figure."""
    snap = retrieval.snapshot
    keys = [k for _, k in question_keys(text, snap)]
    wants_number = asks_for_number(text)
    shape = answer_shape(text)
    best_cov, best_dense = 0.0, -1.0
    numeric = False
    for ev in retrieval.evidence:
        context = " ".join([*(r.text for r in ev.before), ev.ref.text, *(r.text for r in ev.after)])
        cov = coverage(keys, snap.keys_of(context), snap)
        best_cov = max(best_cov, cov)
        best_dense = max(best_dense, ev.dense or -1.0)
        # A figure only answers "how many X" when it sits among the question's terms.
        if wants_number and shape is not None and shape.search(ev.ref.text):
            numeric = numeric or cov >= limits.min_support
    worded = best_cov >= limits.min_support
    if best_dense < limits.min_dense_similarity or (
        not worded and best_dense < limits.confident_dense_similarity
    ):
        return Refusal("no_evidence", REFUSAL_TEXT)
    silent = silent_speaker(text, retrieval)
    if silent:
        return Refusal("no_evidence", f"{REFUSAL_TEXT} They report nothing {silent} said.")
    if wants_number and not numeric:
        return Refusal("no_evidence", f"{REFUSAL_TEXT} They give no figure.")
    return None
