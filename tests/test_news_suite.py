"""The outside-news suite is well formed and its gold quotes hold under the current ingester.

Same checks as the home set's (``tests/test_eval_set.py``): every gold sentence contains
its quote in the ingester's own numbering (HTML pages through trafilatura), quotes are
unambiguous, gold answers are in the gold evidence; plus the suite's own promises: at least
10 pages from different sites (none a seed article), 50 questions, 12 unanswerable.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from eval.cases import Case
from eval.corpus import SentenceTable, from_ingest
from eval.resolve import answers_missing_from_evidence, locate
from eval.suites import NEWS_PAGES, load_news_cases, news_pages
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_news_cases()


@pytest.fixture(scope="module")
def numbering(tmp_path_factory: pytest.TempPathFactory) -> SentenceTable:
    folder: Path = tmp_path_factory.mktemp("news")
    for name in news_pages():
        shutil.copyfile(NEWS_PAGES / name, folder / name)
    return from_ingest(folder, exact=True)


def test_suite_size_sites_and_split(cases: list[Case]) -> None:
    pages = news_pages()
    sites = {name.split("-")[0].rsplit(".", 1)[0] for name in pages}
    assert len(pages) >= 10 and len(sites) == len(pages)
    assert not set(pages) & {p.name for p in CORPUS.iterdir()}
    assert set(pages.values()) == {"tuning", "holdout"}
    assert len(cases) >= 50
    assert sum(not c.answerable for c in cases) >= 12
    used = {g.source for c in cases for g in c.gold_sentences()}
    assert used == set(pages), "every page is asked about, and only those pages"
    parts = Counter(c.part for c in cases)
    assert parts["news-tuning"] >= 25 and parts["news-holdout"] >= 25
    for case in cases:  # the split is by page: a case's pages all belong to its half
        halves = {pages[g.source] for g in case.gold_sentences()}
        assert halves <= {case.part.removeprefix("news-")}, case.id


def test_every_gold_sentence_contains_its_quote(
    cases: list[Case], numbering: SentenceTable
) -> None:
    stale = []
    for case in cases:
        for gold in case.gold_sentences():
            text = numbering.get(gold.source, {}).get(gold.sentence)
            if text is None or gold.quote not in text:
                stale.append(f"{case.id}: {gold.source}:{gold.sentence} {gold.quote!r}")
    assert not stale, "run `python -m eval resolve --cases eval/news/...`:\n" + "\n".join(stale)


def test_quotes_are_unambiguous(cases: list[Case], numbering: SentenceTable) -> None:
    assert not [
        f"{c.id}: {g.quote!r}"
        for c in cases
        for g in c.gold_sentences()
        if len(locate(numbering, g)) > 1
    ]


def test_gold_answers_are_in_the_gold_evidence(cases: list[Case], numbering: SentenceTable) -> None:
    assert not answers_missing_from_evidence(cases, numbering)
