"""answering.features and answering.scorer on the made-up corpus (no embedder, no Chroma)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from service.answering.features import FEATURES, candidates
from service.answering.logistic import Logistic
from service.answering.scorer import WEIGHTS_FILE, ScorerWeights, SentenceScorer

from .made_up import retrieval as made_retrieval
from .made_up import snapshot


def column(name: str) -> int:
    return FEATURES.index(name)


def test_features_describe_each_candidate() -> None:
    found = candidates(
        "When will the Brindle bridge reopen?", made_retrieval(snapshot(), {0: 0.7, 4: 0.2})
    )
    assert found.positions == [0, 4] and found.matrix.shape == (2, len(FEATURES))
    row = dict(zip(found.positions, found.matrix, strict=True))
    # the sentence with the question's terms covers them; the other does not
    assert row[0][column("coverage")] > 0.5 > row[4][column("coverage")]
    assert row[0][column("coverage_gap")] == 0 > row[4][column("coverage_gap")]
    # "When" wants a date: "in March" is one, the ferry sentence holds none
    assert row[0][column("answer_type")] == 1 and row[4][column("type_missing")] == 1
    # ranks: the better fused and the more similar sentence is first in both
    assert row[0][column("fused_rank")] == 1 > row[4][column("fused_rank")]
    assert row[0][column("dense_rank")] == 1 > row[4][column("dense_rank")]
    assert row[0][column("dense_gap")] == 0 > row[4][column("dense_gap")]


def test_a_speakers_sentences_are_candidates_even_when_not_retrieved() -> None:
    question = "What did Halvorsen say?"
    found = candidates(question, made_retrieval(snapshot(), {4: 0.3}, question))
    assert 0 in found.positions and found.speaker_written == "Halvorsen"
    row = found.matrix[found.positions.index(0)]
    assert row[column("speaker_is_asked")] == 1 and row[column("speaker_named")] == 1


def test_the_committed_scorer_prefers_the_sentence_that_answers() -> None:
    scorer = SentenceScorer.from_file()
    scored = scorer.score(
        "When will the Brindle bridge reopen?", made_retrieval(snapshot(), {4: 0.4, 0: 0.4})
    )
    assert scored.positions[0] == 0
    assert scored.probabilities == sorted(scored.probabilities, reverse=True)
    assert 0 < scored.best < 1


def test_a_weights_file_for_other_features_fails_at_load(tmp_path: Path) -> None:
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    data["features"] = data["features"][1:]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="fit-scorer"):
        ScorerWeights.load(path)


def test_the_probability_is_a_logistic_of_the_scaled_features() -> None:
    n = len(FEATURES)
    coef = np.zeros(n)
    coef[column("coverage")] = 2.0
    weights = ScorerWeights("t", Logistic(np.zeros(n), np.ones(n), coef, -1.0), 0.8)
    rows = np.zeros((2, n))
    rows[1, column("coverage")] = 1.0
    probs = weights.probabilities(rows)
    assert probs[0] == pytest.approx(1 / (1 + np.e)) and probs[1] == pytest.approx(
        1 / (1 + np.exp(-1))
    )


def test_the_ner_answer_type_of_each_candidate() -> None:
    # labels as the NER tagger stores them at ingest (the tagger is tested on its own)
    snap = snapshot()
    labels = [{"PERSON", "DATE"}, {"MONEY"}, {"GPE", "DATE"}, {"PERSON"}, {"GPE"}, set()]
    snap.sentences[:] = [
        replace(s, entities=frozenset(found))
        for s, found in zip(snap.sentences, labels, strict=True)
    ]
    found = candidates(
        "When was the bridge inspected?", made_retrieval(snap, {2: 0.6, 1: 0.5, 4: 0.4})
    )
    row = dict(zip(found.positions, found.matrix, strict=True))
    # 2 holds a DATE; 1 holds none but its neighbours (0 and 2) do; 4's neighbours hold none
    assert row[2][column("entity_type")] == 1 and row[2][column("entity_missing")] == 0
    assert row[1][column("entity_missing")] == 1 and row[1][column("entity_near")] == 1
    assert row[4][column("entity_missing")] == 1 and row[4][column("entity_near")] == 0
    # unknown labels (an index without NER) are neither present nor missing
    plain = candidates("When was the bridge inspected?", made_retrieval(snapshot(), {2: 0.6}))
    assert plain.matrix[0][column("entity_type")] == plain.matrix[0][column("entity_missing")] == 0
    # a question that asks for no entity type
    why = candidates("Why was the bridge inspected?", made_retrieval(snap, {2: 0.6}))
    assert why.matrix[0][column("entity_type")] == why.matrix[0][column("entity_missing")] == 0
