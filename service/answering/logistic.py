"""A fitted logistic regression as serving needs it: numpy, a dot product and a sigmoid.

Both fitted models of the extractive answerer (the sentence scorer and the refusal model)
are written by ``python -m eval fit-scorer`` as small JSON files holding the feature names,
the scaler (mean, scale) and the coefficients; this module reads and checks them, so a file
fitted for other features fails at start-up instead of scoring nonsense.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Logistic:
    """p = sigmoid(((x - mean) / scale) . coef + intercept)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def from_dict(cls, data: dict[str, Any], features: tuple[str, ...], path: Path) -> Logistic:
        if tuple(data["features"]) != features:
            raise ValueError(
                f"{path}: fitted for features {data['features']}, the code computes "
                f"{list(features)}; refit with `python -m eval fit-scorer`"
            )
        n = len(features)
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
        if any(a.shape != (n,) for a in arrays):
            raise ValueError(f"{path}: mean, scale and coef need {n} values each")
        return cls(arrays[0], arrays[1], arrays[2], float(data["intercept"]))

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        z = ((matrix - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))
