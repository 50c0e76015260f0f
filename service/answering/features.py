"""The features of each candidate sentence for a question: one code path for serving and fitting.

The extractive answerer scores a sentence by a logistic regression over these features
(:mod:`service.answering.scorer`); ``python -m eval fit-scorer`` fits its weights from the
very same rows on the tuning splits. Anything that changes a feature changes both, so
training and serving cannot drift apart. Every feature is a property of the question, the
retrieval and the sentence, never of known questions; all are scaled to roughly 0..1.

Candidates are the retrieval's candidate pool (:func:`service.retrieval.reading.candidate_pool`:
the fused candidates, plus, for "What did X say?", the sentences the corpus attributes to
X); the trained reader's probability for each is the ``reader`` feature, so this logistic
regression is the reader's second stage (the question type, NER and speaker evidence the
reader does not see).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from service.answering.support import coverage, idf, question_keys, question_names
from service.language.entities import expected_labels
from service.language.keys import name_key
from service.language.question import answer_shape, asked_speaker
from service.retrieval.hybrid import Retrieval, adjacent

FEATURES = (
    "reader",  # the trained reader's P(this sentence answers the question)
    "fused_rel",  # fused RRF score / the best fused score
    "fused_rank",  # 1 / rank in the fused order (0: not ranked)
    "dense",  # cosine similarity to the question
    "dense_gap",  # dense - the best candidate's dense similarity (<= 0)
    "dense_rank",  # 1 / rank by dense similarity among the candidates
    "coverage",  # IDF-weighted share of the question's topic terms in the sentence
    "coverage_gap",  # coverage - the best candidate's coverage (<= 0)
    "window_coverage",  # ... in the sentence and its neighbours
    "new_terms",  # share of the sentence's terms the question does not use (answers are new)
    "answer_type",  # the question wants a date/number/place and the sentence holds one
    "type_missing",  # it wants one and the sentence holds none
    "typed_coverage",  # window_coverage when the sentence holds the wanted type, else 0
    "entity_type",  # the NER model found an entity of the asked type in the sentence
    "entity_missing",  # it asks for an entity type and the sentence holds none
    "entity_near",  # ... but a neighbour does
    "speaker_is_asked",  # "What did X say?" and X speaks in this sentence
    "speaker_named",  # ... and the sentence names X
    "speaker_other",  # ... and the sentence neither is X's nor names X
    "names_found",  # share of the question's proper names the sentence holds
    "log_words",  # log of the sentence's length in words, / log 50
    "long",  # words beyond 30, / 30
    "short",  # fewer than 5 words
    "first",  # the document's first sentence (a title line)
)

# Features that are 0 or 1: the fit leaves them unscaled (a feature that is almost always
# 0 on SQuAD, such as the speaker ones, would otherwise be blown up by its tiny spread).
BINARY = frozenset(
    {"answer_type", "type_missing", "speaker_is_asked", "speaker_named", "speaker_other"}
    | {"short", "first", "entity_type", "entity_missing", "entity_near"}
)


@dataclass
class Candidates:
    """The candidate sentences of one question and their feature rows (same order)."""

    positions: list[int]
    matrix: np.ndarray  # len(positions) x len(FEATURES)
    speaker_written: str | None  # the asked speaker's name as the question writes it


def _inverse(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / rank


def candidates(question: str, retrieval: Retrieval) -> Candidates:
    """Every candidate sentence of ``question`` with its feature row."""
    snap = retrieval.snapshot
    speaker = asked_speaker(question, snap.names)
    canon = speaker[0] if speaker else None
    keys = [k for _, k in question_keys(question, snap)]
    topic = [k for k in keys if k != name_key(canon)] if canon else keys
    asked = set(keys)
    names = question_names(question, snap)
    shape = answer_shape(question)
    wanted = expected_labels(question)
    positions = sorted(retrieval.pool)
    order = sorted(retrieval.fused, key=lambda p: (-retrieval.fused[p], p))
    fused_rank = {p: i + 1 for i, p in enumerate(order)}
    best_fused = max(retrieval.fused.values(), default=1.0) or 1.0
    rows = np.zeros((len(positions), len(FEATURES)), dtype=np.float64)
    for i, pos in enumerate(positions):
        s = snap.sentences[pos]
        sentence_keys = snap.keys_of(s.text)
        before, after = snap.around(pos, 1)
        window = set(sentence_keys)
        for other in (*before, *after):
            window |= snap.keys_of(other.text)
        n_words = len(s.text.split())
        own = list(sentence_keys)
        new = sum(idf(k, snap) for k in own if k not in asked)
        total = sum(idf(k, snap) for k in own)
        typed = shape is not None and bool(shape.search(s.text))
        window_cov = coverage(topic, window, snap) if topic else 0.0
        who = snap.speakers[pos] if canon else None
        named = canon is not None and name_key(canon) in sentence_keys
        # None (labels unknown: an index without NER) counts as neither present nor missing
        held = snap.holds_entity(pos, wanted) if wanted else None
        entity, missing = held is True, held is False
        near = (
            bool(wanted)
            and missing
            and any(snap.holds_entity(p, wanted or frozenset()) for p in adjacent(snap, pos))
        )
        rows[i] = (
            retrieval.reading.get(pos, 0.0),
            retrieval.fused.get(pos, 0.0) / best_fused,
            _inverse(fused_rank.get(pos)),
            float(retrieval.similarities[pos]),
            0.0,
            0.0,
            coverage(topic, sentence_keys, snap) if topic else 0.0,
            0.0,
            window_cov,
            new / total if total else 0.0,
            float(typed),
            float(shape is not None and not typed),
            window_cov if typed else 0.0,
            float(entity),
            float(missing),
            float(near),
            float(bool(canon) and who == canon),
            float(named),
            float(bool(canon) and who != canon and not named),
            sum(1 for k in names if k in sentence_keys) / len(names) if names else 0.0,
            math.log(1 + n_words) / math.log(50),
            max(0, n_words - 30) / 30,
            float(n_words < 5),
            float(s.number == 1),
        )
    if len(positions):
        dense, cov = FEATURES.index("dense"), FEATURES.index("coverage")
        rows[:, FEATURES.index("dense_gap")] = rows[:, dense] - rows[:, dense].max()
        # The dense list holds the most similar sentences, so the rank by similarity among
        # the candidates is the rank in that list (the retrieval keeps no rank per candidate).
        by_similarity = np.argsort(-rows[:, dense], kind="stable")
        rows[by_similarity, FEATURES.index("dense_rank")] = 1.0 / np.arange(
            1, len(by_similarity) + 1
        )
        rows[:, FEATURES.index("coverage_gap")] = rows[:, cov] - rows[:, cov].max()
    return Candidates(positions, rows, speaker[1] if speaker else None)
