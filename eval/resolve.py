"""Re-derive gold sentence numbers from their quotes against the current numbering.

Each gold evidence sentence carries a ``quote``, a distinctive substring of its text. When
ingestion changes (a teaser dropped, a closing quote moved to the previous sentence) the
numbers can move; the quotes do not. ``python -m eval resolve`` finds, for every quote, the
one sentence of its source that contains it and rewrites the number if it moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eval.cases import Case, GoldSentence, load_cases, save_cases
from eval.corpus import SentenceTable


@dataclass(frozen=True)
class Problem:
    case_id: str
    source: str
    quote: str
    detail: str

    def __str__(self) -> str:
        return f"{self.case_id}: {self.source} {self.quote!r}: {self.detail}"


@dataclass(frozen=True)
class Move:
    case_id: str
    source: str
    quote: str
    old: int
    new: int

    def __str__(self) -> str:
        return f"{self.case_id}: {self.source} {self.quote!r}: sentence {self.old} -> {self.new}"


def normalise_quote_text(text: str) -> str:
    """Compare quotes and sentences with white space collapsed (how sentences are stored)."""
    return " ".join(text.split())


def locate(table: SentenceTable, gold: GoldSentence) -> list[int]:
    """Numbers of the sentences of ``gold.source`` that contain ``gold.quote``."""
    quote = normalise_quote_text(gold.quote)
    sentences = table.get(gold.source, {})
    return sorted(n for n, text in sentences.items() if quote in normalise_quote_text(text))


def resolve_cases(cases: list[Case], table: SentenceTable) -> tuple[list[Move], list[Problem]]:
    """Update the sentence numbers of ``cases`` in place; return the moves and the problems."""
    moves: list[Move] = []
    problems: list[Problem] = []
    for case in cases:
        for gold in case.gold_sentences():
            if gold.source not in table:
                problems.append(Problem(case.id, gold.source, gold.quote, "unknown source"))
                continue
            found = locate(table, gold)
            if not found:
                detail = "quote found in no sentence"
            elif len(found) > 1:
                detail = f"quote is ambiguous: sentences {found}; make it longer"
            else:
                if found[0] != gold.sentence:
                    moves.append(Move(case.id, gold.source, gold.quote, gold.sentence, found[0]))
                    gold.sentence = found[0]
                continue
            problems.append(Problem(case.id, gold.source, gold.quote, detail))
    return moves, problems


def resolve_files(
    paths: list[Path], table: SentenceTable, write: bool
) -> tuple[list[Move], list[Problem]]:
    """Resolve every case file; rewrite a file only when ``write`` and nothing failed."""
    all_moves: list[Move] = []
    all_problems: list[Problem] = []
    for path in paths:
        cases = load_cases([path])
        moves, problems = resolve_cases(cases, table)
        all_moves += moves
        all_problems += problems
        if write and moves and not problems:
            save_cases(cases, path)
    return all_moves, all_problems


def check_gold(cases: list[Case], table: dict[str, dict[int, str]]) -> list[str]:
    """Re-resolve gold numbers against the service's numbering, in memory; return warnings."""
    moves, problems = resolve_cases(cases, table)
    notes = [f"gold sentence moved (run `python -m eval resolve`): {m}" for m in moves]
    notes += [f"gold sentence not found: {p}" for p in problems]
    return notes


def answers_missing_from_evidence(cases: list[Case], table: SentenceTable) -> list[str]:
    """Cases whose gold answer group has no alias in any of the case's gold sentences
    ("<id>: <group>"): a case that cannot be right by citing its own gold evidence."""
    from eval.text import contains_phrase

    missing = []
    for case in cases:
        text = " ".join(table[g.source][g.sentence] for s in case.evidence for g in s)
        for group in case.answers:
            if not any(contains_phrase(text, alias) for alias in group):
                missing.append(f"{case.id}: {group}")
    return missing
