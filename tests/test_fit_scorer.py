"""eval.fit_scorer on made-up rows: the fit, the claim rule and the file it writes.

The rows are invented (no corpus, no model): answerable questions have one gold candidate
whose coverage stands out, unanswerable ones only weak candidates, and one "SQuAD-like"
corpus plus one "news-like" corpus, as the real fit sees them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from eval.fit_scorer import fit_file, has_answer, per_question
from eval.scorer_data import Rows
from service.answering.features import FEATURES
from service.answering.scorer import ScorerWeights


def made_up_rows(seed: int = 0) -> Rows:
    rng = np.random.default_rng(seed)
    cov = FEATURES.index("coverage")
    matrices, labels, question, questions = [], [], [], []
    for i in range(160):
        corpus = "squad" if i < 120 else "news"
        answerable = i % 2 == 0
        block = rng.uniform(0.0, 0.3, size=(6, len(FEATURES)))
        gold = np.zeros(6, dtype=np.int8)
        if answerable:
            block[0, cov] = rng.uniform(0.7, 1.0)
            gold[0] = 1
        matrices.append(block)
        labels += list(gold)
        question += [i] * 6
        questions.append(
            {
                "id": f"q{i}",
                "corpus": corpus,
                "part": f"{corpus}-tuning",
                "answerable": answerable,
                "rule": "no_evidence" if i % 20 == 1 else None,
                "group": f"{corpus}-{i % 10}",
            }
        )
    return Rows(
        np.vstack(matrices),
        np.asarray(labels, dtype=np.int8),
        np.asarray(question, dtype=np.int32),
        np.full(len(labels), 12, dtype=np.int32),
        questions,
    )


def test_the_fit_finds_the_gold_sentences_and_its_file_loads(tmp_path: Path) -> None:
    content = fit_file(made_up_rows())
    path = tmp_path / "w.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    weights = ScorerWeights.load(path)
    assert weights.model.coef[FEATURES.index("coverage")] > 0
    assert all(acc >= 0.95 for acc in content["has_answer_out_of_fold"].values())
    assert 0 < weights.keep_ratio <= 1
    assert "tuning" in content["training_set"] and content["made_by"].startswith("python -m")


def test_the_fit_is_deterministic() -> None:
    assert fit_file(made_up_rows()) == fit_file(made_up_rows())


def test_a_lower_claim_ratio_cites_more_and_refused_questions_count_as_unanswered() -> None:
    rows = made_up_rows()
    probs = rows.matrix[:, FEATURES.index("coverage")]
    strict, loose = per_question(rows, probs, 1.0), per_question(rows, probs, 0.1)
    assert loose.cites.sum() > strict.cites.sum() and (strict.cites <= 1).all()
    assert has_answer(strict, "squad") == 1.0
    refused = rows.questions[0] | {"rule": "no_evidence"}
    rows.questions[0] = refused
    assert has_answer(per_question(rows, probs, 1.0), "squad") < 1.0


def test_the_refusal_threshold_falls_between_answerable_and_unanswerable() -> None:
    rows = made_up_rows()
    rng = np.random.default_rng(1)
    for q in rows.questions:
        low, high = (0.55, 0.95) if q["answerable"] else (0.02, 0.4)
        q["answerability"] = float(rng.uniform(low, high))
        q["rule_light"] = None
        if q["id"] in ("q0", "q40"):  # the evidence rules refuse two answerable questions
            q["rule"] = "no_evidence"
    content = fit_file(rows)
    rule = content["refusal"]
    assert 0.4 <= rule["min_answerability"] <= 0.55
    assert rule["answerability_auc_squad_tuning"] == 1.0
    # without the evidence rules nothing answerable is refused, so that policy wins
    assert rule["evidence_rules"] is False
    assert all(f["no_answer"] == 1.0 for f in rule["tuning_out_of_fold"].values())


def test_the_policy_reaches_the_loaded_weights(tmp_path: Path) -> None:
    content = fit_file(made_up_rows()) | {
        "refusal": {"min_answerability": 0.37, "evidence_rules": False}
    }
    path = tmp_path / "w.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    policy = ScorerWeights.load(path).policy
    assert policy.min_answerability == 0.37 and policy.evidence_rules is False
