"""The outside-news, time and corroboration suites and HTML extraction as regression tests
(floors in thresholds.toml).

Runs what ``make eval`` runs for these suites (in-process services over the 13 news pages,
and over them with the time suite's dated stories, and over the corroboration suite's
archive, every question through ``POST /ask``; trafilatura's extraction benchmark), without
the baselines, and fails when a figure is outside its limit under ``[suites.min."..."]``
or ``[suites.max."..."]``. SQuAD's floors are checked by ``make eval`` itself (its sampled
600 questions take several minutes on two cores).
"""

from __future__ import annotations

from typing import Any

import pytest

from eval.cases import EVAL_DIR
from eval.suites import SuiteOptions, run_suites
from eval.suites_report import check_floors, load_suite_limits, summary

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def table() -> list[dict[str, Any]]:
    results = run_suites(
        SuiteOptions(
            corpora=["news", "time", "html", "corroboration"], baselines=False, progress=False
        )
    )
    return summary(results)


def test_suites_ran(table: list[dict[str, Any]]) -> None:
    assert [r["suite"] for r in table] == [
        "news tuning",
        "news holdout",
        "time tuning",
        "time holdout",
        "HTML extraction",
        "corroboration tuning",
        "corroboration holdout",
    ]


def test_news_time_html_and_corroboration_meet_their_floors(table: list[dict[str, Any]]) -> None:
    limits = load_suite_limits(EVAL_DIR / "thresholds.toml")
    suites = ("news tuning", "news holdout", "time tuning", "time holdout", "HTML extraction")
    for suite in (*suites, "corroboration tuning", "corroboration holdout"):
        assert suite in limits["min"], f"no floors for {suite}"
    failures = check_floors(table, limits)
    assert not failures, "below floors (eval/thresholds.toml):\n" + "\n".join(failures)
