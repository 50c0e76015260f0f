"""The fitted sentence scorer: P(sentence holds the answer) = sigmoid(w · scaled features + b).

The weights come from a small versioned JSON file (``weights/sentence_scorer.json``,
written by ``python -m eval fit-scorer`` from the tuning splits only) that also records
the refusal threshold and the claim-keeping rule fitted beside them. Serving needs numpy
only: the logistic regression is a dot product and a sigmoid; scikit-learn fits it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from service.answering.features import FEATURES, candidates
from service.retrieval.hybrid import Retrieval

WEIGHTS_FILE = Path(__file__).resolve().parent / "weights" / "sentence_scorer.json"


@dataclass(frozen=True)
class ScorerWeights:
    """What the fit wrote: the model, and the decisions fitted on its probabilities."""

    version: str
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    refuse_below: float  # best sentence probability under which the service refuses
    keep_ratio: float  # a claim's probability must reach this share of the best one's
    no_figure_rule: bool = False  # refuse "how many" without a figure among its terms

    @classmethod
    def load(cls, path: Path) -> ScorerWeights:
        """Read and check a weights file; a file for other features fails at start-up."""
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(
                f"{path}: fitted for features {data['features']}, the code computes "
                f"{list(FEATURES)}; refit with `python -m eval fit-scorer`"
            )
        n = len(FEATURES)
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
        if any(a.shape != (n,) for a in arrays):
            raise ValueError(f"{path}: mean, scale and coef need {n} values each")
        return cls(
            version=str(data["version"]),
            mean=arrays[0],
            scale=arrays[1],
            coef=arrays[2],
            intercept=float(data["intercept"]),
            refuse_below=float(data["refusal"]["refuse_below"]),
            keep_ratio=float(data["claims"]["keep_ratio"]),
            no_figure_rule=bool(data["refusal"].get("no_figure_rule", False)),
        )

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        z = ((matrix - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


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
    """Scores a question's candidates; the refusal check and the answerer share one result.

    Both ask for the same retrieval within one request, so the last result is kept (with a
    reference to its retrieval, so that identity cannot be mistaken): the features are
    computed once per request, not twice.
    """

    def __init__(self, weights: ScorerWeights) -> None:
        self.weights = weights
        self._last: tuple[Retrieval, str, Scored] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path | None = None) -> SentenceScorer:
        return cls(ScorerWeights.load(path or WEIGHTS_FILE))

    def score(self, question: str, retrieval: Retrieval) -> Scored:
        last = self._last
        if last is not None and last[0] is retrieval and last[1] == question:
            return last[2]
        found = candidates(question, retrieval)
        probs = self.weights.probabilities(found.matrix) if found.positions else np.zeros(0)
        order = sorted(range(len(found.positions)), key=lambda i: (-probs[i], found.positions[i]))
        scored = Scored(
            [found.positions[i] for i in order],
            [float(probs[i]) for i in order],
            found.speaker_written,
        )
        with self._lock:
            self._last = (retrieval, question, scored)
        return scored
