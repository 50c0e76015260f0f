"""The time suite's files, loader and scoring (eval/time_suite.py; eval/time/README.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from eval.cases import Case
from eval.runner import ask_payload
from eval.suites import NEWS_PAGES, news_pages
from eval.time_suite import STORIES_DIR, TIME_DIR, load_time_cases, time_files, time_scores
from ingest.loaders import read_document


@pytest.fixture(scope="module")
def loaded() -> tuple[list[Case], dict[str, dict[str, Any]]]:
    return load_time_cases()


def test_both_halves_hold_every_kind_of_question(
    loaded: tuple[list[Case], dict[str, dict[str, Any]]],
) -> None:
    cases, checks = loaded
    assert len(cases) >= 30
    for half in ("time-tuning", "time-holdout"):
        mine = [c for c in cases if c.part == half]
        assert len(mine) >= 15, half
        assert any(checks[c.id].get("newest") for c in mine), half
        assert any(checks[c.id].get("range") and not c.request for c in mine), half
        for field in ("as_of", "date_from", "date_to"):
            assert any(field in c.request for c in mine), (half, field)
    holdout_words = " ".join(c.question for c in cases if c.part == "time-holdout")
    assert "last week" in holdout_words


def test_every_source_named_is_in_the_corpus_and_holds_its_quotes(
    loaded: tuple[list[Case], dict[str, dict[str, Any]]],
) -> None:
    cases, checks = loaded
    files = {p.name: p for p in time_files([NEWS_PAGES / n for n in news_pages()])}
    texts: dict[str, str] = {}
    for case in cases:
        named = {g.source for group in case.evidence for g in group}
        assert set(checks[case.id].get("newest", [])) <= named, case.id
        for group in case.evidence:
            for gold in group:
                assert gold.source in files, (case.id, gold.source)
                if gold.source not in texts:
                    path = files[gold.source]
                    texts[gold.source] = read_document(path.name, path.read_bytes())[0]
                assert gold.quote in texts[gold.source], (case.id, gold.quote)


def test_the_stories_are_dated_versions_marked_as_written_test_data() -> None:
    stories = sorted(STORIES_DIR.glob("*.txt"))
    assert len(stories) >= 10
    for path in stories:
        head = path.read_text(encoding="utf-8").splitlines()[0]
        day = re.match(r"date (\d{4}-\d\d-\d\d) \S", head)
        assert day and day.group(1) in path.name, path.name
    assert "written by the project as test data" in (STORIES_DIR / "README.md").read_text()
    assert "written by the project as test data" in (TIME_DIR / "README.md").read_text()


def test_a_malformed_check_names_its_file_and_line(tmp_path: Path) -> None:
    good = (TIME_DIR / "tuning.jsonl").read_text(encoding="utf-8").splitlines()[0]
    bad = json.loads(good) | {"range": ["2024-05-01", "2024-04-01"]}
    (tmp_path / "tuning.jsonl").write_text(good + "\n" + json.dumps(bad) + "\n")
    (tmp_path / "holdout.jsonl").write_text("")
    with pytest.raises(ValueError, match=r"tuning\.jsonl:2: range: 2024-05-01 is after"):
        load_time_cases(tmp_path)


def test_a_case_s_request_fields_are_sent_with_its_question(
    loaded: tuple[list[Case], dict[str, dict[str, Any]]],
) -> None:
    case = next(c for c in loaded[0] if "as_of" in c.request)
    payload = ask_payload(case, "extractive")
    assert payload["as_of"] == case.request["as_of"] and payload["question"] == case.question


CASE = Case(
    id="t",
    question="How many?",
    answerable=True,
    answers=[["41"]],
    evidence=[[{"source": "b.txt", "sentence": 1, "quote": "41 cases"}]],  # type: ignore[list-item]
)


def row(answer: str, *cites: tuple[str, str | None], refused: bool = False) -> dict[str, Any]:
    return {
        "status": 200,
        "refused": refused,
        "answer": answer,
        "citations": [{"id": i + 1, "source": s, "date": d} for i, (s, d) in enumerate(cites)],
    }


def test_the_time_figures_of_one_answer() -> None:
    check = {"newest": ["b.txt"], "range": [None, "2024-04-05"]}
    right = row("41 cases. [1] (as of 1 April 2024)", ("b.txt", "2024-04-01"))
    assert time_scores(right, CASE, check) == {
        "newest cited": 1.0,
        "in range": 1.0,
        "version cited": 1.0,
        "as-of said": 1.0,
    }
    # an older version first, a citation past the range, no "as of" for the newest day
    wrong = row(
        "27 cases. [1] 58 cases. [2] (as of 1 April 2024)",
        ("a.txt", "2024-03-18"),
        ("c.txt", "2024-05-06"),
    )
    assert time_scores(wrong, CASE, check) == {
        "newest cited": 0.0,
        "in range": 0.0,
        "version cited": 0.0,
        "as-of said": 0.0,
    }
    undated = row("41 cases. [1]", ("b.txt", None))
    assert time_scores(undated, CASE, check) == {
        "newest cited": 1.0,
        "in range": 0.0,  # an undated citation is not known to be in the range
        "version cited": 1.0,
    }
    refused = row("The articles do not cover this.", refused=True)
    assert time_scores(refused, CASE, check) == {
        "newest cited": 0.0,
        "in range": 0.0,
        "version cited": 0.0,
    }
    assert time_scores(right, CASE, {}) == {"version cited": 1.0, "as-of said": 1.0}
