"""The fitted sentence scorer: P(sentence holds the answer) = sigmoid(w · scaled features + b).

The weights come from a small versioned JSON file (``weights/sentence_scorer.json``,
written by ``python -m eval fit-scorer`` from the tuning splits only) that also records
the claim-keeping rule and the refusal policy fitted beside them (the reader's
answerability threshold, applied by ``answering.refusal``). It decides which sentences an
answer cites; the trained reader's probability is its strongest feature. Serving needs numpy only:
the logistic regression is a dot product and a sigmoid (:mod:`answering.logistic`);
scikit-learn fits it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from service.answering.features import FEATURES, candidates
from service.answering.logistic import Logistic
from service.answering.refusal import Policy
from service.retrieval.hybrid import Retrieval

WEIGHTS_FILE = Path(__file__).resolve().parent / "weights" / "sentence_scorer.json"


@dataclass(frozen=True)
class ScorerWeights:
    """What the fit wrote: the model, and the claim rule fitted on its probabilities."""

    version: str
    model: Logistic
    keep_ratio: float  # a claim's probability must reach this share of the best one's
    policy: Policy = field(default_factory=Policy)  # when to refuse on the reader's answerability

    @classmethod
    def load(cls, path: Path) -> ScorerWeights:
        """Read and check a weights file; a file for other features fails at start-up."""
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        rule = data.get("refusal", {})
        threshold = rule.get("min_answerability")
        return cls(
            version=str(data["version"]),
            model=Logistic.from_dict(data, FEATURES, path),
            keep_ratio=float(data["claims"]["keep_ratio"]),
            policy=Policy(
                None if threshold is None else float(threshold),
                bool(rule.get("evidence_rules", True)),
            ),
        )

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        return self.model.probabilities(matrix)


@dataclass(frozen=True)
class Scored:
    """Candidate sentences of one question with their probabilities, best first."""

    positions: list[int]
    probabilities: list[float]
    speaker_written: str | None

    @property
    def best(self) -> float:
        return self.probabilities[0] if self.probabilities else 0.0


class SentenceScorer:
    """Scores a question's candidates with the fitted weights."""

    def __init__(self, weights: ScorerWeights) -> None:
        self.weights = weights

    @classmethod
    def from_file(cls, path: Path | None = None) -> SentenceScorer:
        return cls(ScorerWeights.load(path or WEIGHTS_FILE))

    def score(self, question: str, retrieval: Retrieval) -> Scored:
        found = candidates(question, retrieval)
        probs = self.weights.probabilities(found.matrix) if found.positions else np.zeros(0)
        order = sorted(range(len(found.positions)), key=lambda i: (-probs[i], found.positions[i]))
        return Scored(
            [found.positions[i] for i in order],
            [float(probs[i]) for i in order],
            found.speaker_written,
        )
