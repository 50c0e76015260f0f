"""The shipped reader (models/reader) as the service runs it: loading, checks, reranking,
answerability and the ``not_answerable`` refusal. Real model, real questions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.answering.refusal import Policy, refusal
from service.app import create_app
from service.components.reader import OnnxReader, ReaderFileError, read_manifest
from service.retrieval.reading import read
from service.settings import AnswerSettings, ReaderSettings, Settings
from tests.conftest import ROOT, make_settings
from tests.rules.made_up import retrieval as made_retrieval
from tests.rules.made_up import snapshot

SHIPPED = ReaderSettings().dir


@pytest.fixture(scope="module")
def reader() -> OnnxReader:
    return OnnxReader(SHIPPED)


def test_the_shipped_reader_is_checked_and_says_where_it_came_from() -> None:
    manifest = read_manifest(SHIPPED)
    assert manifest["never_trained_on"] and "part-a" in str(manifest["never_trained_on"])
    assert set(manifest["sha256"]) >= {"reader.onnx", "tokenizer.json"}  # type: ignore[arg-type]
    assert "train-reader" in str(manifest["command"])


def test_the_reader_prefers_the_sentence_that_answers(reader: OnnxReader) -> None:
    snap = snapshot()  # invented people and places: nothing the reader was trained on
    cases = {
        "When will the Brindle bridge reopen?": 0,
        "How much did the repairs cost?": 1,
        "Who founded the ferry company Nordlys?": 5,
    }
    for question, answer in cases.items():
        probs = read(reader, question, list(range(len(snap.sentences))), snap)
        assert max(probs, key=probs.__getitem__) == answer, (question, probs)
        assert 0 < probs[answer] <= 1


def test_a_pair_scores_the_same_alone_or_batched_beside_longer_ones(reader: OnnxReader) -> None:
    """Each batch is padded to its own longest pair and masked, so a candidate's probability
    does not depend on which candidates it is read with, but for int8's dynamic activation
    scale, set per batch (hundredths of a logit; padding every pair to the longest moved
    them more)."""
    question = "When will the Brindle bridge reopen?"
    short = "The Brindle bridge reopens in May."
    long = " ".join(["The council met again on Tuesday to discuss the budget."] * 6)

    def prob(logits: np.ndarray) -> np.ndarray:
        return np.asarray(1 / (1 + np.exp(-logits.astype(np.float64))))

    alone = prob(reader.logits([(question, short), (question, long)]))
    mixed = prob(reader.logits([(question, long)] * 5 + [(question, short)] * 3))
    assert mixed[5] == pytest.approx(alone[0], abs=0.01)
    assert mixed[0] == pytest.approx(prob(reader.logits([(question, long)]))[0], abs=0.01)


def test_a_changed_or_missing_reader_file_stops_the_start(tmp_path: Path) -> None:
    broken = tmp_path / "reader"
    shutil.copytree(SHIPPED, broken, ignore=shutil.ignore_patterns("work"))
    with (broken / "tokenizer.json").open("a", encoding="utf-8") as fh:
        fh.write(" ")
    with pytest.raises(ReaderFileError, match=r"tokenizer\.json"):
        OnnxReader(broken)
    (broken / "reader.onnx").unlink()
    settings = make_settings(tmp_path / "data", reader={"dir": broken})
    with pytest.raises(ReaderFileError, match=r"reader\.onnx is missing"):
        create_app(settings)


def test_the_server_refuses_to_start_without_its_reader(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSQA_READER__DIR": str(tmp_path / "nowhere")}
    done = subprocess.run(
        [sys.executable, "-m", "service"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "cannot start: no reader manifest" in done.stderr
    assert "Traceback" not in done.stderr


def test_not_answerable_below_the_threshold_carries_the_probability() -> None:
    question = "When will the Brindle bridge reopen?"
    snap = snapshot()
    weak = made_retrieval(snap, {0: 0.7, 2: 0.5}, question, reading={0: 0.12, 2: 0.05})
    limits = AnswerSettings()
    verdict = refusal(question, question, weak, limits, Policy(0.3))
    assert verdict is not None and verdict.reason == "not_answerable"
    assert verdict.answerability == pytest.approx(0.12)
    assert refusal(question, question, weak, limits, Policy(0.1)) is None
    # the setting overrides the fitted threshold; no reading: the reader does not refuse
    strict = AnswerSettings(min_answerability=0.5)
    assert refusal(question, question, weak, strict, Policy(0.1)) is not None
    assert refusal(question, question, made_retrieval(snap, {0: 0.7}), strict) is None
    # "What did X say?" with sentences attributed to X: the attribution answers it
    said = "What did Halvorsen say?"
    low = made_retrieval(snap, {0: 0.7}, said, reading={0: 0.01})
    assert refusal(said, said, low, limits, Policy(0.5, evidence_rules=False)) is None


def test_ask_reports_answerability_and_orders_evidence_by_the_reader(
    client: TestClient,
) -> None:
    body = client.post(
        "/ask", json={"question": "What did Ushakov say?", "include_retrieval": True}
    ).json()
    assert body["refused"] is False and 0 < body["answerability"] <= 1
    read_probs = [r["answers"] for r in body["retrieved"]]
    assert read_probs == sorted(read_probs, reverse=True)
    assert body["answerability"] == pytest.approx(read_probs[0], abs=1e-4)


def test_a_threshold_above_the_best_probability_refuses_with_the_reason(
    corpus_index: Settings,
) -> None:
    strict = corpus_index.model_copy(
        update={"answer": corpus_index.answer.model_copy(update={"min_answerability": 1.0})}
    )
    with TestClient(create_app(strict)) as c:
        body = c.post("/ask", json={"question": "How long did the talks in Moscow last?"}).json()
        said = c.post("/ask", json={"question": "What did Ushakov say?"}).json()
    assert body["refused"] is True and body["refusal_reason"] == "not_answerable"
    assert body["citations"] == [] and 0 < body["answerability"] < 1
    # the articles report Ushakov speaking: the reader does not decide that one
    assert said["refused"] is False and said["citations"]
