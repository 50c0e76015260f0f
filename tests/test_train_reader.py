"""The reader's training code, kept honest: its data, and a tiny real training run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval.reader_data import load_questions, training_pairs
from eval.train_reader import MEASURE_FILE, TRAIN_FILE, TrainConfig, train
from service.components.reader import OnnxReader, ReaderFileError, file_sha256


def _squad(tmp_path: Path) -> Path:
    context = (
        "The bridge opened in 1932. It was built by Dorman Long. "
        "Some 500 residents filed complaints about the noise."
    )
    data = {
        "data": [
            {
                "title": "Harbour_Bridge",
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {
                                "id": "q1",
                                "question": "How many residents filed complaints?",
                                "is_impossible": False,
                                "answers": [{"text": "500", "answer_start": context.index("500")}],
                            },
                            {
                                "id": "q2",
                                "question": "Who painted the bridge in 1990?",
                                "is_impossible": True,
                                "answers": [],
                            },
                            {
                                "id": "q3",
                                "question": "Which firm built the bridge residents filed "
                                "complaints about?",
                                "is_impossible": True,
                                "answers": [],
                                "plausible_answers": [
                                    {"text": "Dorman Long", "answer_start": context.index("Dorman")}
                                ],
                            },
                        ],
                    },
                    {
                        "context": "The 500 complaints about noise were filed by residents. "
                        "Residents filed complaints again in 1990. "
                        "A ferry still crosses the harbour.",
                        "qas": [],
                    },
                ],
            }
        ]
    }
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_questions_label_the_sentence_holding_the_answer_and_none_when_unanswerable(tmp_path):
    answerable, impossible, _ = load_questions(_squad(tmp_path))
    assert len(answerable.candidates) == 3
    assert answerable.positives == frozenset({2})
    assert answerable.candidates[2].startswith("Some 500 residents filed complaints")
    assert answerable.article == "Harbour Bridge"  # the title, underscores as spaces
    assert impossible.positives == frozenset()


def test_training_pairs_take_one_positive_and_hard_negatives_first(tmp_path):
    questions = load_questions(_squad(tmp_path))
    pairs = training_pairs(questions, negatives=1, seed=0)
    answerable = [p for p in pairs if p[0].startswith("How many")]
    assert [label for _, _, label in answerable] == [1.0, 0.0]
    impossible = [p for p in pairs if p[0].startswith("Who painted")]
    assert len(impossible) == 2 and all(label == 0.0 for _, _, label in impossible)
    # "bridge" is the question's one long word in the first sentence: the hard negative
    assert impossible[0][1].startswith("The bridge opened")


def test_plausible_negatives_take_the_sentence_of_a_plausible_answer_first(tmp_path):
    *_, plausible = load_questions(_squad(tmp_path))
    assert plausible.positives == frozenset() and plausible.plausible == frozenset({1})
    pairs = training_pairs([plausible], negatives=1, seed=0, plausible=True)
    # By question words alone the hard negative would be the complaints sentence (4 shared
    # words against 1): the plausible answer's sentence takes the hard place first.
    assert pairs[0] == (plausible.question, "It was built by Dorman Long.", 0.0)
    assert len(pairs) == 2 and all(label == 0.0 for *_, label in pairs)
    # Off (the shipped model's setting), the hard place goes by question words.
    off = training_pairs([plausible], negatives=1, seed=0)
    assert off[0][1].startswith("Some 500 residents")


def test_cross_negatives_come_from_other_paragraphs_and_never_hold_the_answer(tmp_path):
    questions = load_questions(_squad(tmp_path))
    assert len(questions[0].elsewhere) == 3 and questions[0].answers == ("500",)
    pairs = training_pairs(questions, negatives=1, seed=0, cross=1)
    answerable = [p for p in pairs if p[0].startswith("How many")]
    assert len(answerable) == 3
    # the other paragraph's most similar sentence holds "500": the next one is taken
    assert (answerable[0][1], answerable[0][2]) == (
        "Residents filed complaints again in 1990.",
        0.0,
    )
    assert all("500" not in text for text, label in ((p[1], p[2]) for p in answerable) if not label)


@pytest.mark.slow
def test_a_tiny_training_run_learns_exports_onnx_and_writes_a_true_manifest(tmp_path):
    cfg = TrainConfig(
        out=tmp_path / "reader",
        epochs=3,
        lr=1e-4,
        batch_size=8,
        limit_questions=8,
        measure_questions=20,
    )
    manifest = train(cfg)
    out = tmp_path / "reader"
    assert manifest["sha256"] == {
        "reader.onnx": file_sha256(out / "reader.onnx"),
        "tokenizer.json": file_sha256(out / "tokenizer.json"),
    }
    assert manifest["training_data"]["sha256"] == file_sha256(TRAIN_FILE)  # type: ignore[index]
    assert manifest["never_trained_on"] == [MEASURE_FILE.name]
    assert json.loads((out / "manifest.json").read_text()) == manifest
    assert len(cfg.loss_per_epoch) == 3 and all(np.isfinite(cfg.loss_per_epoch))
    assert cfg.loss_per_epoch[-1] < cfg.loss_per_epoch[0]
    # The exported int8 model ranks its own training positives above its negatives.
    pairs = training_pairs(load_questions(TRAIN_FILE)[:8], cfg.negatives, cfg.seed)
    logits = OnnxReader(out).logits([p[:2] for p in pairs])
    labels = np.array([p[2] for p in pairs])
    assert logits[labels == 1].mean() > logits[labels == 0].mean()
    metrics = manifest["metrics"]
    assert metrics["questions"] == 20  # type: ignore[index]
    assert 0.0 <= metrics["answerability_auc"] <= 1.0  # type: ignore[index]
    # A file that no longer matches its manifest is a clear error, not a silent fall-back.
    (out / "tokenizer.json").write_text("{}")
    with pytest.raises(ReaderFileError, match=r"tokenizer\.json does not match"):
        OnnxReader(out)
    (out / "reader.onnx").unlink()
    with pytest.raises(ReaderFileError, match=r"reader\.onnx is missing"):
        OnnxReader(out)


def test_a_folder_without_a_manifest_says_how_to_make_one(tmp_path):
    with pytest.raises(ReaderFileError, match="make train-reader"):
        OnnxReader(tmp_path)
