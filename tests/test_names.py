"""Name spellings learned from the corpus: variants meet, different people stay apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.cleaning import clean
from ingest.sentences import split_sentences
from service.language.names import NameIndex

CORPUS = Path(__file__).resolve().parent.parent / "data" / "articles"


@pytest.fixture(scope="module")
def names() -> NameIndex:
    texts = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        texts += [s.text for s in split_sentences(text, clean(text).prose)]
    return NameIndex.build(texts, 80.0)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Witkoff", "Vitkov"),
        ("Witkoff", "Wittkoff"),
        ("Witkoff", "Whitkov"),
        ("Witkoff", "Vitkoff"),
        ("Dmitriev", "Dimitriev"),
        ("Kallas", "Kalas"),
        ("Kyiv", "Kiev"),
        ("Sibiha", "Sibikha"),  # "Sibiha" is not in the corpus: matched fuzzily
        ("witkof", "Witkoff"),  # a new misspelling, lower case
    ],
)
def test_variants_meet(names: NameIndex, a: str, b: str) -> None:
    assert names.resolve(a) is not None
    assert names.resolve(a) == names.resolve(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Macron", "Marco"), ("Dmitry", "Dmitriev"), ("Putin", "Peskov"), ("Rubio", "Russia")],
)
def test_different_people_stay_apart(names: NameIndex, a: str, b: str) -> None:
    assert names.resolve(a) != names.resolve(b)


def test_clusters_are_learned_not_listed() -> None:
    index = NameIndex.build(
        ["Talks with Mr Johansson ended.", "Later mr Johanson left, said Mr Petersen."], 80.0
    )
    assert index.resolve("Johansson") == index.resolve("Johanson")
    assert index.resolve("Johansson") != index.resolve("Petersen")


def test_blocked_pairs_are_exactly_the_pairwise_ones(names: NameIndex) -> None:
    """Blocking by (role, first phonetic letter) loses no pair the pairwise rule accepts."""
    from service.language.names import _similar, _similar_pairs

    spellings = sorted(names.counts)
    given: set[str] = set()  # one role for all: the widest blocks, the hardest case
    blocked = {tuple(sorted(p)) for p in _similar_pairs(spellings, given, 80.0)}
    pairwise = {
        (a, b) for i, a in enumerate(spellings) for b in spellings[i + 1 :] if _similar(a, b, 80.0)
    }
    assert blocked == pairwise
    assert len(pairwise) > 5  # the corpus does have variant spellings
