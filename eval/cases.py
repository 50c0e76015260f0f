"""The evaluation cases: a strict model of one JSONL line, and loading and saving them.

The format is documented in ``eval/README.md``. Loading is strict (unknown fields, an
answerable case without evidence, an unanswerable case with evidence are errors) so that a
typo in a hand-written case fails loudly instead of silently scoring nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

EVAL_DIR = Path(__file__).resolve().parent
# The public benchmarks (SQuAD 2.0 part, trafilatura's HTML benchmark) live outside the
# repository, beside the checkout in ../shared/benchmarks; SHARED_BENCHMARKS_DIR points
# elsewhere for a checkout that has no such neighbour.
BENCHMARKS_DIR = Path(
    os.environ.get("SHARED_BENCHMARKS_DIR") or EVAL_DIR.parent.parent / "shared" / "benchmarks"
)
DEV_CASES = EVAL_DIR / "cases.jsonl"
HOLDOUT_CASES = EVAL_DIR / "holdout" / "cases.jsonl"
DEFAULT_CASE_FILES = (DEV_CASES, HOLDOUT_CASES)

TAGS = frozenset(
    {
        "single-source",
        "multi-source",
        "speaker",
        "numbers-dates",
        "spelling-variant",
        "disputed",
        "follow-up",
        "unanswerable",
        "injection",
    }
)


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class GoldSentence(BaseModel):
    """One gold evidence sentence; ``quote`` is a distinctive substring of its text."""

    model_config = ConfigDict(extra="forbid")

    source: str
    sentence: int = Field(ge=1)
    quote: str = Field(min_length=4)

    @property
    def key(self) -> tuple[str, int]:
        return (self.source, self.sentence)


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list)
    answerable: bool
    answers: list[list[str]] = Field(default_factory=list)
    evidence: list[list[GoldSentence]] = Field(default_factory=list)
    related: list[GoldSentence] = Field(
        default_factory=list,
        description="Sentences that are also right to cite but not needed (e.g. the other "
        "statements of the speaker asked about): citing them does not lower precision.",
    )
    tags: list[str] = Field(default_factory=list)
    request: dict[str, str] = Field(
        default_factory=dict,
        description="Fields sent with the question in POST /ask: a filter (date_from, "
        "date_to, sources, ...) or as_of (the time suite, eval/time).",
    )
    part: str = Field("", exclude=True, description="dev or holdout; set by the loader")

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        unknown = set(self.tags) - TAGS
        if unknown:
            raise ValueError(f"unknown tags {sorted(unknown)}")
        if self.answerable and not self.evidence:
            raise ValueError("an answerable case needs at least one gold evidence set")
        if not self.answerable and (self.evidence or self.answers or self.related):
            raise ValueError("an unanswerable case has no gold answers or evidence")
        if any(not group for group in self.answers) or any(not s for s in self.evidence):
            raise ValueError("empty alias group or empty evidence set")
        return self

    @property
    def gold_sets(self) -> list[set[tuple[str, int]]]:
        return [{g.key for g in group} for group in self.evidence]

    @property
    def gold_union(self) -> set[tuple[str, int]]:
        return {g.key for group in self.evidence for g in group}

    @property
    def acceptable(self) -> set[tuple[str, int]]:
        """Every sentence it is right to cite: the gold sets and the related sentences."""
        return self.gold_union | {g.key for g in self.related}

    def gold_sentences(self) -> list[GoldSentence]:
        return [g for group in self.evidence for g in group] + list(self.related)

    def to_json(self) -> str:
        data = self.model_dump(exclude_defaults=False)
        for optional in ("history", "related", "request"):
            if not data[optional]:
                del data[optional]
        return json.dumps(data, ensure_ascii=False)


def part_of(path: Path) -> str:
    return "holdout" if "holdout" in path.parts else "dev"


def load_cases(paths: Iterable[Path] = DEFAULT_CASE_FILES) -> list[Case]:
    """Read JSONL case files; raise ``ValueError`` naming the file and line of a bad case."""
    out: list[Case] = []
    seen: set[str] = set()
    for path in paths:
        path = Path(path)
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                case = Case.model_validate_json(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: {exc}") from exc
            if case.id in seen:
                raise ValueError(f"{path}:{lineno}: duplicate case id {case.id!r}")
            seen.add(case.id)
            case.part = part_of(path)
            out.append(case)
    return out


def save_cases(cases: list[Case], path: Path) -> None:
    path.write_text("".join(c.to_json() + "\n" for c in cases), encoding="utf-8")
