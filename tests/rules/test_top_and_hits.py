"""The linear-time top n, and the sparse BM25 hits the query path ranks with."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from service.index.lexical import best
from service.index.store import key_number, text_key
from service.index.top import top_n
from tests.rules.made_up import snapshot


def _sorted_top(scores: np.ndarray, n: int) -> list[int]:
    """The definition top_n must meet: a full stable sort, best first, ties earlier."""
    return [int(i) for i in np.lexsort((np.arange(len(scores)), -scores))[:n]]


def test_ties_at_the_cut_go_to_the_earlier_positions() -> None:
    scores = np.array([0.5, 0.9, 0.5, 0.5, 0.1, 0.5], dtype=np.float32)
    assert list(top_n(scores, 3)) == [1, 0, 2]
    assert list(top_n(scores[::-1].copy(), 3)) == [4, 0, 2]


@pytest.mark.parametrize("seed", range(6))
def test_top_n_is_a_stable_sort_cut_at_n(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Few distinct values and many zeros, as BM25 over repeated sentences gives.
    scores = rng.choice([0.0, 0.0, 0.0, 1.5, 2.25, 3.0], size=5000).astype(np.float32)
    for n in (1, 7, 50, 400, 4999, 5000, 6000):
        assert list(top_n(scores, n)) == _sorted_top(scores, n)


@pytest.mark.parametrize("seed", range(4))
def test_top_n_with_keys_breaks_ties_by_the_smaller_key(seed: int) -> None:
    """Scores held in any order (carriers grouped by text), ties by sentence position: the
    same as a full sort by (score desc, key asc)."""
    rng = np.random.default_rng(seed)
    scores = rng.choice([0.5, 1.5, 2.25, 3.0], size=3000).astype(np.float32)
    keys = rng.permutation(10_000)[:3000]
    for n in (1, 9, 200, 2999, 3000, 4000):
        want = [int(i) for i in np.lexsort((keys, -scores))[:n]]
        assert list(top_n(scores, n, keys=keys)) == want


def test_top_n_of_nothing() -> None:
    assert len(top_n(np.zeros(0, dtype=np.float32), 5)) == 0
    assert len(top_n(np.ones(3, dtype=np.float32), 0)) == 0


QUESTIONS = ["Who inspected the bridge?", "Tarvik ferry", "Okonkwo", "the of and", "zebra"]


@pytest.mark.parametrize("question", QUESTIONS)
def test_sparse_hits_rank_and_score_as_the_full_array_does(question: str) -> None:
    lexical = snapshot().lexical
    full, hits = lexical.scores(question), lexical.hits(question)
    assert len(hits) == np.count_nonzero(full)
    assert [hits[p] for p in range(len(full))] == [float(v) for v in full]
    everywhere = np.arange(len(full))[::-1]  # an array of positions, in any order
    assert hits[everywhere].dtype == np.float32
    assert list(hits[everywhere]) == list(full[everywhere])
    assert hits.max() == (float(full.max()) if full.any() else 0.0)
    for n in (1, 3, 10):
        assert hits.top(n) == best(full, n) == lexical.search(question, n)


def test_a_text_key_survives_its_trip_through_a_number() -> None:
    """The snapshot keeps keys as 64-bit numbers and asks Chroma for ids rebuilt from
    them: leading zeros and the top bit must survive."""
    texts = [f"Sentence {i}." for i in range(2000)] + ["", "Ünïcode — text."]
    keys = [text_key(t) for t in texts]
    assert any(k.startswith("0") for k in keys) and any(int(k[0], 16) >= 8 for k in keys)
    numbers = np.array([key_number(k) for k in keys], dtype=np.uint64)  # as the snapshot
    assert [f"{int(n):016x}" for n in numbers] == keys  # as IndexStore._vectors_of asks


def test_a_text_many_sentences_carry_ranks_as_each_of_them() -> None:
    """One vector per distinct text: a hit on it is every sentence carrying it, best
    first, ties by position, and a key the snapshot does not hold is skipped."""
    shared = dataclasses.replace(
        snapshot(),
        vectors=np.eye(3, dtype=np.float32),
        row_vector=np.array([0, 1, 0, 2, 0, 1]),
        vector_keys=np.array([10, 20, 30], dtype=np.uint64),
    )
    e0 = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    assert shared.nearest(e0, 2) == [(0, 1.0), (2, 1.0)]
    assert shared.nearest(e0, 4) == [(0, 1.0), (2, 1.0), (4, 1.0), (1, 0.0)]
    assert shared.carriers_of_keys([(30, 0.9), (99, 0.8), (10, 0.5)], 3) == [
        (3, 0.9),
        (0, 0.5),
        (2, 0.5),
    ]
    assert list(shared.vector(3)) == [0.0, 0.0, 1.0]
    assert list(shared.similarities(e0)) == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]


def _shared_texts(seed: int) -> tuple[list[str], np.ndarray]:
    """Sentences drawn with repeats from a few texts (as wire copy repeats), and each
    one's text index: many ties, texts carried from 1 to dozens of times."""
    rng = np.random.default_rng(seed)
    words = ["ferry", "bridge", "Tarvik", "mayor", "engineers", "said", "council", "March"]
    pool = sorted({" ".join(rng.choice(words, size=rng.integers(2, 6))) + "." for _ in range(60)})
    text_of = rng.integers(0, len(pool), size=400)
    return [pool[t] for t in text_of], text_of


@pytest.mark.parametrize("seed", range(4))
def test_texts_carried_by_many_sentences_score_and_rank_as_those_sentences(seed: int) -> None:
    """The index over distinct texts gives what an index over every sentence gives:
    the same scores at every position, the same top n with ties by position."""
    from service.index.carriers import Carriers
    from service.index.lexical import LexicalIndex
    from service.language.names import NameIndex

    sentences, text_of = _shared_texts(seed)
    names = NameIndex.build(sentences, 80.0)
    distinct, dense_ids = np.unique(text_of, return_inverse=True)
    by_sentence = LexicalIndex(sentences, names)
    by_text = LexicalIndex(sentences, names, carriers=Carriers.of(dense_ids, len(distinct)))
    for question in ["ferry bridge", "Tarvik mayor said", "council March March", "zebra"]:
        full = by_sentence.scores(question)
        assert list(by_text.scores(question)) == list(full)
        hits = by_text.hits(question)
        assert (
            len(hits) == np.count_nonzero(full) and hits.max() == by_sentence.hits(question).max()
        )
        everywhere = np.arange(len(full))
        assert list(hits[everywhere]) == list(full)
        for n in (1, 2, 5, 17, 50, 400, 500):
            assert by_text.search(question, n) == by_sentence.search(question, n) == best(full, n)


def test_a_rebuild_tokenises_only_the_texts_the_previous_index_lacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rows of texts the previous index holds (by key) are copied, not tokenised again,
    and the index scores as one built from scratch."""
    import service.index.lexical as lexical_module
    from service.index.carriers import Carriers
    from service.index.lexical import LexicalIndex
    from service.language.names import NameIndex

    sentences, _ = _shared_texts(7)
    names = NameIndex.build(sentences, 80.0)

    def index(upto: int, previous: LexicalIndex | None = None) -> LexicalIndex:
        part = sentences[:upto]
        distinct = sorted(set(part))
        keys = np.array([key_number(text_key(t)) for t in distinct], dtype=np.uint64)
        order = np.argsort(keys)  # the snapshot's texts are in key order
        rank = {distinct[i]: r for r, i in enumerate(order)}
        carriers = Carriers.of(np.array([rank[t] for t in part]), len(distinct))
        return LexicalIndex(part, names, previous, carriers, keys[order])

    first = index(200)
    calls: list[str] = []
    real = lexical_module.stem_tokens
    monkeypatch.setattr(lexical_module, "stem_tokens", lambda t: calls.append(t) or real(t))
    rebuilt = index(400, previous=first)
    assert sorted(calls) == sorted(set(sentences) - set(sentences[:200]))
    scratch = index(400)
    for question in ["ferry bridge", "Tarvik mayor said", "council March March", "zebra"]:
        assert list(rebuilt.scores(question)) == list(scratch.scores(question))
        assert rebuilt.search(question, 50) == scratch.search(question, 50)
