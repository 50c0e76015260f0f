"""The ``time`` suite: questions with a time in them, over dated articles (eval/time/).

The corpus is the news suite's 13 pages (dated by their HTML metadata, 2019-2023) and two
stories written by the project as test data, each in five dated versions whose figures
change (``eval/time/stories/``, plain text with a ``date YYYY-MM-DD`` header line). The
questions, in ``eval/time/tuning.jsonl`` (the Ferrow Valley story, the news tuning pages)
and ``eval/time/holdout.jsonl`` (the Kessock Moor story, the news holdout pages), are
cases of :mod:`eval.cases` (scored as every case suite is: gold answers, gold evidence)
with the request fields they are asked with (``request``: ``date_from``, ``date_to``,
``as_of``) and what the time asks of the answer:

- ``newest``: the sources the answer must lead with, for "latest" / "most recent" / "now"
  questions (the newest version that answers);
- ``range``: ``[from, to]`` (ISO days, either null: open) that every citation's date must
  fall in, for "in March 2024", "before 10 March 2024", "last week" (relative to the
  newest article) and the request's ``date_from`` / ``date_to`` / ``as_of``.

Figures (per half, each the mean over the questions it applies to): **newest cited**
(citation [1] is from a ``newest`` source), **in range** (answered, and every citation
dated within ``range``), **version cited** (a gold evidence source is cited: the right
version of the story), **as-of said** (an answered question citing dated articles ends
with " (as of <the newest cited date>)").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from eval.cases import EVAL_DIR, Case

TIME_DIR = EVAL_DIR / "time"
STORIES_DIR = TIME_DIR / "stories"
HALVES = ("tuning", "holdout")
# What a question's time asks of its answer; the rest of a line is a Case.
_CHECK_FIELDS = ("newest", "range")
FIGURES = ("newest cited", "in range", "version cited", "as-of said")


def load_time_cases(folder: Path = TIME_DIR) -> tuple[list[Case], dict[str, dict[str, Any]]]:
    """The cases of both halves (``part`` "time-tuning" / "time-holdout") and, by case id,
    the time checks of each (``newest``, ``range``)."""
    cases: list[Case] = []
    checks: dict[str, dict[str, Any]] = {}
    for half in HALVES:
        path = folder / f"{half}.jsonl"
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            data = json.loads(line)
            check = {k: data.pop(k) for k in _CHECK_FIELDS if k in data}
            try:
                case = Case.model_validate(data)
                _valid_check(check)
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: {exc}") from exc
            if case.id in checks:
                raise ValueError(f"{path}:{lineno}: duplicate case id {case.id!r}")
            case.part = f"time-{half}"
            cases.append(case)
            checks[case.id] = check
    return cases, checks


def _valid_check(check: dict[str, Any]) -> None:
    newest = check.get("newest", [])
    if not isinstance(newest, list) or not all(isinstance(s, str) for s in newest):
        raise ValueError("newest: a list of source names")
    bounds = check.get("range")
    if bounds is not None:
        if not isinstance(bounds, list) or len(bounds) != 2 or bounds == [None, None]:
            raise ValueError("range: [from, to], ISO days, one of them may be null")
        days = [dt.date.fromisoformat(b) for b in bounds if b is not None]
        if len(days) == 2 and days[0] > days[1]:
            raise ValueError(f"range: {bounds[0]} is after {bounds[1]}")


@lru_cache(maxsize=1)
def time_checks() -> dict[str, dict[str, Any]]:
    return load_time_cases()[1]


def time_files(pages: Sequence[Path]) -> list[Path]:
    """The corpus: the given dated pages and the written stories."""
    return [*pages, *sorted(STORIES_DIR.glob("*.txt"))]


def _day(citation: dict[str, Any]) -> str | None:
    date = citation.get("date")
    return str(date)[:10] if date else None


def time_scores(row: dict[str, Any], case: Case, check: dict[str, Any]) -> dict[str, float]:
    """The time figures of one answered-or-refused question (a figure that does not apply
    to it is left out)."""
    from service.answering.provenance import as_of_note

    cites = list(row.get("citations") or [])
    answered = row.get("status") == 200 and not row.get("refused") and bool(cites)
    out: dict[str, float] = {}
    if check.get("newest"):
        out["newest cited"] = float(answered and cites[0]["source"] in check["newest"])
    if check.get("range"):
        lo, hi = check["range"]
        days = [_day(c) for c in cites]
        inside = all(
            d is not None and (lo is None or d >= lo) and (hi is None or d <= hi) for d in days
        )
        out["in range"] = float(answered and inside)
    if case.answerable:
        gold = {g.source for group in case.evidence for g in group}
        out["version cited"] = float(answered and any(c["source"] in gold for c in cites))
    dated = [d for c in cites if (d := _day(c))]
    if answered and dated:
        out["as-of said"] = float(as_of_note(max(dated)) in str(row.get("answer", "")))
    return out


def time_figures(rows: Sequence[dict[str, Any]], cases: dict[str, Case]) -> dict[str, Any]:
    """The suite table's time columns for ``rows`` (means; None where none applies)."""
    checks = time_checks()
    scored = [time_scores(r, cases[r["id"]], checks.get(r["id"], {})) for r in rows]
    out: dict[str, Any] = {}
    for name in FIGURES:
        values = [s[name] for s in scored if name in s]
        out[name] = sum(values) / len(values) if values else None
    return out


def time_misses(rows: Sequence[dict[str, Any]], cases: dict[str, Case]) -> list[str]:
    """ "<id>: <figure>" for every figure a question scored 0 on (for the report's notes)."""
    checks = time_checks()
    return [
        f"{r['id']}: {name}"
        for r in rows
        for name, value in time_scores(r, cases[r["id"]], checks.get(r["id"], {})).items()
        if value == 0.0
    ]
