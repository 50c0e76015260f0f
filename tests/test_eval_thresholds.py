"""The eval as a regression test: extractive mode, in-process, the dev part of the set.

Fails when a metric falls below its minimum (or rises above its maximum) in
``eval/thresholds.toml``. The held-out part is not run here: thresholds are set from the
dev figures only, and the holdout stays a check on overfitting, reported by ``make eval``.
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from eval.cases import DEV_CASES, EVAL_DIR
from eval.cli import EvalOptions, evaluate

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def dev_totals() -> dict[str, Any]:
    results = evaluate(
        EvalOptions(
            modes=["extractive"],
            case_files=[DEV_CASES],
            baselines=False,
            judge="off",
            progress=False,
        )
    )
    return dict(results["totals"]["service"]["extractive"]["dev"])


def load_thresholds() -> dict[str, dict[str, float]]:
    with open(EVAL_DIR / "thresholds.toml", "rb") as fh:
        return dict(tomllib.load(fh)["extractive"])


def test_no_errors(dev_totals: dict[str, Any]) -> None:
    assert dev_totals["errors"] == 0


def test_metrics_meet_thresholds(dev_totals: dict[str, Any]) -> None:
    limits = load_thresholds()
    failures = []
    for key, floor in limits.get("min", {}).items():
        value = dev_totals.get(key)
        if value is None or value < floor:
            failures.append(f"{key} = {value} < {floor}")
    for key, ceiling in limits.get("max", {}).items():
        value = dev_totals.get(key)
        if value is None or value > ceiling:
            failures.append(f"{key} = {value} > {ceiling}")
    assert not failures, "eval below thresholds (eval/thresholds.toml):\n" + "\n".join(failures)
