"""``python -m eval fit-scorer``: fit the extractive answerer's sentence scorer and refusal.

1. Rows: every candidate sentence of every **tuning** question (SQuAD tuning half, news
   tuning pages), with the serving code's features (:mod:`eval.scorer_data`; cached in
   ``eval/cache/scorer_rows.npz``, ``--recompute`` rebuilds them).
2. A logistic regression (scikit-learn, standardised features except the 0/1 ones, L2,
   lbfgs: deterministic)
   of "this sentence is a gold sentence". News questions weigh more (``NEWS_WEIGHT``) so
   that 32 questions are not drowned by ~1,400 SQuAD ones.
3. The decisions on its probabilities, chosen on **out-of-fold** probabilities (folds keep
   articles and pages whole, so a question is never scored by a model that saw its
   article): the refusal threshold ``refuse_below`` on the best candidate's probability,
   which maximises the mean of has-answer and no-answer accuracy (averaged over the two
   corpora) while refusing at most 5 % of either corpus's answerable questions, and the
   claim rule ``keep_ratio``; and whether the "how many without a figure" rule
   (``refusal.no_figure``) stays on: only if it raises that objective. Measured when
   this was written: the best probability tells SQuAD 2.0's unanswerable questions
   (written to look answerable) from answerable ones barely better than chance (ROC AUC
   .54), so the false-refusal limit keeps the threshold low.
4. ``service/answering/weights/sentence_scorer.json``: weights, scaler, threshold, claim
   rule, the training set's description and the figures on the tuning splits.

The held-out halves and the home set (seed articles) are never read here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.scorer_data import CACHE_DIR, Rows, collect

ROWS_FILE = CACHE_DIR / "scorer_rows.npz"
VERSION = "1"
NEWS_WEIGHT = 10.0  # weight of a news question's rows relative to a SQuAD question's
C = 1.0  # inverse L2 strength
MAX_CLAIMS = 3  # AnswerSettings.max_claims' default
WORD_BUDGET = 90  # answering.extractive._WORD_BUDGET
KEEP_RATIOS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
MAX_FALSE_REFUSALS = 0.05  # the limit for the outside-news suite, on every corpus
KEEP_TOLERANCE = 0.005  # a claim rule this close to the best counts as as good
THRESHOLDS = tuple(round(t, 3) for t in np.arange(0.0, 0.9, 0.005))


@dataclass
class Figures:
    has_answer: float  # answered with a gold sentence cited
    no_answer: float  # unanswerable and refused
    false_refusals: float
    cites: float  # citations per answered question

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.__dict__.items()}


def _fit(rows: Rows, mask: np.ndarray) -> tuple[Any, Any]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from service.answering.features import BINARY, FEATURES

    weight = np.where(_is_news(rows)[rows.question], NEWS_WEIGHT, 1.0)
    scaler = StandardScaler().fit(rows.matrix[mask])
    binary = [i for i, name in enumerate(FEATURES) if name in BINARY]
    scaler.mean_[binary], scaler.scale_[binary] = 0.0, 1.0  # see features.BINARY
    model = LogisticRegression(C=C, max_iter=2000)
    model.fit(scaler.transform(rows.matrix[mask]), rows.labels[mask], sample_weight=weight[mask])
    return scaler, model


def _is_news(rows: Rows) -> np.ndarray:
    return np.array([q["corpus"] == "news" for q in rows.questions])


def out_of_fold(rows: Rows, folds: int = 5) -> np.ndarray:
    """Each row's probability from a model fitted without its article or page."""
    from sklearn.model_selection import GroupKFold

    groups = np.array([q["group"] for q in rows.questions])[rows.question]
    probs = np.zeros(len(rows.labels))
    for train, test in GroupKFold(n_splits=folds).split(rows.matrix, groups=groups):
        mask = np.zeros(len(rows.labels), dtype=bool)
        mask[train] = True
        scaler, model = _fit(rows, mask)
        probs[test] = model.predict_proba(scaler.transform(rows.matrix[test]))[:, 1]
    return probs


@dataclass
class PerQuestion:
    """For one keep_ratio: each question's best probability, and what its answer would cite."""

    corpus: np.ndarray
    answerable: np.ndarray
    ruled: np.ndarray  # refused by a rule (instruction, unknown terms, silent speaker)
    no_figure: np.ndarray  # "how many" with no figure among its terms (refusal.no_figure)
    best: np.ndarray
    gold_cited: np.ndarray
    cites: np.ndarray


def per_question(rows: Rows, probs: np.ndarray, keep_ratio: float) -> PerQuestion:
    """Cite up to MAX_CLAIMS sentences within keep_ratio of the best, as
    ``ExtractiveAnswerer.select`` does (same-fact merging across files aside)."""
    n = len(rows.questions)
    best = np.zeros(n)
    gold = np.zeros(n, dtype=bool)
    cites = np.zeros(n)
    starts = np.searchsorted(rows.question, np.arange(n + 1))
    for i in range(n):
        sel = np.arange(starts[i], starts[i + 1])
        order = sel[np.argsort(-probs[sel], kind="stable")]
        if not len(order):
            continue
        best[i] = probs[order[0]]
        chosen: list[int] = []
        used = 0
        for j in order[:30]:
            if probs[j] < best[i] * keep_ratio or len(chosen) == MAX_CLAIMS:
                break
            if chosen and (used + rows.words[j] > WORD_BUDGET or rows.words[j] < 5):
                continue
            chosen.append(int(j))
            used += int(rows.words[j])
        gold[i] = bool(rows.labels[chosen].any())
        cites[i] = len(chosen)
    return PerQuestion(
        np.array([q["corpus"] for q in rows.questions]),
        np.array([q["answerable"] for q in rows.questions]),
        np.array([q["rule"] is not None for q in rows.questions]),
        np.array([q.get("no_figure", False) for q in rows.questions]),
        best,
        gold,
        cites,
    )


def figures(pq: PerQuestion, refuse_below: float, corpus: str, figure_rule: bool) -> Figures:
    mine = pq.corpus == corpus
    refused = pq.ruled | (pq.best < refuse_below) | (pq.no_figure & figure_rule)
    has, no = mine & pq.answerable, mine & ~pq.answerable
    answered = mine & ~refused
    return Figures(
        float((has & ~refused & pq.gold_cited).sum() / max(1, has.sum())),
        float((no & refused).sum() / max(1, no.sum())),
        float((has & refused).sum() / max(1, has.sum())),
        float(pq.cites[answered].sum() / max(1, answered.sum())),
    )


def _objective(figs: Sequence[Figures]) -> float:
    """Mean of has-answer and no-answer accuracy, averaged over the corpora; -1 when a
    corpus refuses more than MAX_FALSE_REFUSALS of its answerable questions."""
    if any(f.false_refusals > MAX_FALSE_REFUSALS for f in figs):
        return -1.0
    return float(np.mean([(f.has_answer + f.no_answer) / 2 for f in figs]))


@dataclass
class Choice:
    keep_ratio: float
    refuse_below: float
    figure_rule: bool
    objective: float
    figures: dict[str, Figures]


def choose(rows: Rows, probs: np.ndarray, figure_rule: bool) -> Choice:
    """(keep_ratio, refuse_below) on these probabilities, with or without the figure rule.

    refuse_below maximises :func:`_objective` for each keep_ratio; of the keep_ratios, the
    largest (fewest citations) whose objective is within KEEP_TOLERANCE of the best one.
    """
    corpora = sorted({q["corpus"] for q in rows.questions})
    options: list[Choice] = []
    for keep in KEEP_RATIOS:
        pq = per_question(rows, probs, keep)
        scored = [
            (_objective([figures(pq, t, c, figure_rule) for c in corpora]), t) for t in THRESHOLDS
        ]
        best_score = max(score for score, _ in scored)
        t = min(t for score, t in scored if score == best_score)
        figs = {c: figures(pq, t, c, figure_rule) for c in corpora}
        options.append(Choice(keep, t, figure_rule, best_score, figs))
    top = max(o.objective for o in options)
    return max(
        (o for o in options if o.objective >= top - KEEP_TOLERANCE), key=lambda o: o.keep_ratio
    )


def _said(choice: Choice) -> str:
    if choice.objective < 0:
        return f"over the {MAX_FALSE_REFUSALS} false-refusal limit on a corpus"
    return f"{choice.objective:.4f}"


def fit_file(rows: Rows) -> dict[str, Any]:
    """The weights file's content: the final model on all tuning rows, the decisions
    chosen on out-of-fold probabilities, and the figures that chose them."""
    from service.answering.features import FEATURES

    oof = out_of_fold(rows)
    without, with_rule = choose(rows, oof, False), choose(rows, oof, True)
    chosen = with_rule if with_rule.objective > without.objective else without
    keep, threshold, tuned = chosen.keep_ratio, chosen.refuse_below, chosen.figures
    scaler, model = _fit(rows, np.ones(len(rows.labels), dtype=bool))
    counts = {c: sum(1 for q in rows.questions if q["corpus"] == c) for c in ("squad", "news")}
    return {
        "version": VERSION,
        "made_by": "python -m eval fit-scorer (eval/fit_scorer.py)",
        "training_set": (
            f"candidate sentences of the tuning questions only: SQuAD 2.0 tuning articles "
            f"(eval/squad/split.txt, {counts['squad']} questions) and outside-news tuning pages "
            f"(eval/news/tuning.jsonl, {counts['news']} questions); {len(rows.labels)} rows, "
            f"{int(rows.labels.sum())} gold; news rows weigh {NEWS_WEIGHT}"
        ),
        "model": f"sklearn LogisticRegression(C={C}, lbfgs) on StandardScaler features "
        "(0/1 features unscaled); p = sigmoid(((x - mean) / scale) . coef + intercept)",
        "features": list(FEATURES),
        "mean": [round(float(v), 6) for v in scaler.mean_],
        "scale": [round(float(v), 6) for v in scaler.scale_],
        "coef": [round(float(v), 6) for v in model.coef_[0]],
        "intercept": round(float(model.intercept_[0]), 6),
        "refusal": {
            "refuse_below": threshold,
            "rule": "refuse (no_evidence) when the best candidate's probability is below "
            "refuse_below; chosen on out-of-fold tuning probabilities to maximise the mean of "
            "has-answer and no-answer accuracy (averaged over SQuAD and news) while at most "
            f"{MAX_FALSE_REFUSALS} of each corpus's answerable questions are refused",
            "no_figure_rule": chosen.figure_rule,
            "no_figure_rule_measured": (
                "refusal.no_figure ('how many' with no figure among its terms) is on when it "
                f"raises the tuning objective: {_said(without)} without it, "
                f"{_said(with_rule)} with it"
            ),
        },
        "claims": {
            "keep_ratio": keep,
            "rule": "keep up to max_claims claims whose probability is at least keep_ratio x "
            "the best one's: the largest ratio whose tuning objective is within "
            f"{KEEP_TOLERANCE} of the best ratio's (fewest citations for as many right)",
        },
        "tuning_figures_out_of_fold": {c: f.as_dict() for c, f in tuned.items()},
    }


def run(out: Path, recompute: bool = False) -> int:
    """Fit and write the weights file; print the tuning figures that chose its decisions."""
    if recompute or not ROWS_FILE.exists():
        collect().save(ROWS_FILE)
    rows = Rows.load(ROWS_FILE)
    content = fit_file(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    print(
        f"wrote {out}: refuse_below {content['refusal']['refuse_below']}, "
        f"keep_ratio {content['claims']['keep_ratio']}"
    )
    for corpus, figs in content["tuning_figures_out_of_fold"].items():
        print(f"  {corpus} tuning (out of fold): {figs}")
    return 0
