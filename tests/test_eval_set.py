"""The eval set is well-formed and its gold evidence still points at the intended text.

Gold sentences are named by number, and numbers move when ingestion changes; every gold
sentence carries a quote, and this test fails (naming the case) when the numbered sentence
no longer contains it. Fix with ``python -m eval resolve``.
"""

from __future__ import annotations

from collections import Counter

import pytest

from eval.cases import DEFAULT_CASE_FILES, TAGS, Case, load_cases
from eval.corpus import SentenceTable, from_ingest
from eval.resolve import answers_missing_from_evidence, locate


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases(DEFAULT_CASE_FILES)


@pytest.fixture(scope="module")
def numbering() -> SentenceTable:
    """The ingester's numbering, including its embedding-based teaser drop."""
    return from_ingest(exact=True)


def test_set_size_and_parts(cases: list[Case]) -> None:
    parts = Counter(c.part for c in cases)
    assert len(cases) >= 60
    assert parts["holdout"] >= 15
    tags = Counter(t for c in cases for t in c.tags)
    for tag in sorted(TAGS):
        assert tags[tag] >= 3, tag


def test_every_named_speaker_is_asked_about(cases: list[Case]) -> None:
    questions = " ".join(c.question.lower() for c in cases if "speaker" in c.tags)
    for name in (
        "ushakov",
        "putin",
        "zelensky",
        "macron",
        "kallas",
        "rubio",
        "trump",
        "peskov",
        "leavitt",
        "dmitriev",
        "axios",
        "kremlin spokesman",
        "ukraine's military",
    ):
        assert name in questions, name


def test_every_gold_sentence_contains_its_quote(
    cases: list[Case], numbering: SentenceTable
) -> None:
    stale = []
    for case in cases:
        for gold in case.gold_sentences():  # the evidence sets and the related sentences
            text = numbering.get(gold.source, {}).get(gold.sentence)
            if text is None or " ".join(gold.quote.split()) not in " ".join(text.split()):
                found = locate(numbering, gold)
                stale.append(
                    f"{case.id}: {gold.source}:{gold.sentence} {gold.quote!r} "
                    f"(now in {found or 'no sentence'})"
                )
    assert not stale, "run `python -m eval resolve`:\n" + "\n".join(stale)


def test_quotes_are_unambiguous(cases: list[Case], numbering: SentenceTable) -> None:
    ambiguous = [
        f"{c.id}: {g.source} {g.quote!r} in {found}"
        for c in cases
        for g in c.gold_sentences()
        if len(found := locate(numbering, g)) > 1
    ]
    assert not ambiguous


def test_gold_answers_are_in_the_gold_evidence(cases: list[Case], numbering: SentenceTable) -> None:
    """Each gold answer group has an alias that some gold sentence of the case contains
    (history excepted: a follow-up's answer may also lean on the conversation)."""
    assert not answers_missing_from_evidence(cases, numbering)


def test_unanswerable_cases_have_no_gold(cases: list[Case]) -> None:
    for case in cases:
        if not case.answerable:
            assert not case.answers and not case.evidence
        else:
            assert case.answers, f"{case.id}: answerable cases here all have gold answers"
