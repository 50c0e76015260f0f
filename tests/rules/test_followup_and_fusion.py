"""Follow-up resolution (answering.followup) and rank fusion (retrieval.fusion), directly."""

from __future__ import annotations

import numpy as np
import pytest

from service.answering.base import Turn
from service.answering.followup import condense
from service.retrieval.fusion import fuse, fuse_scores
from service.retrieval.hybrid import adjacent
from service.settings import RetrievalSettings

from .made_up import snapshot


def test_a_pronoun_stands_for_the_person_last_named() -> None:
    history = (
        Turn("user", "What did Halvorsen say about the bridge?"),
        Turn("assistant", "Halvorsen said it would reopen in March [1]."),
    )
    assert condense("What else did he say?", history, snapshot()) == (
        "What else did Halvorsen say?"
    )


def test_an_elliptical_follow_up_asks_the_previous_question_again() -> None:
    history = (Turn("user", "What did Halvorsen say about the bridge?"),)
    assert condense("And Okonkwo?", history, snapshot()) == (
        "What did Okonkwo say about the bridge?"
    )


def test_a_standalone_question_is_unchanged() -> None:
    assert condense(" Who inspected the bridge? ", (), snapshot()) == "Who inspected the bridge?"


def test_fusion_adds_reciprocal_ranks_with_weights() -> None:
    settings = RetrievalSettings(rrf_k=60, dense_weight=1.0, lexical_weight=0.5)
    fused = fuse([3, 7], [7, 5], settings)
    assert fused.scores[7] == 1.0 / 62 + 0.5 / 61
    assert fused.scores[3] == 1.0 / 61
    assert (fused.rank_dense[7], fused.rank_lexical[7]) == (2, 1)
    assert fused.top(2) == [7, 3]


def test_fusion_keeps_the_rank_of_a_hit_it_cannot_place() -> None:
    fused = fuse([None, 4], [], RetrievalSettings(rrf_k=60))
    assert fused.rank_dense == {4: 2}
    assert fused.top(5) == [4]


def test_fusion_ties_go_to_the_earlier_sentence() -> None:
    fused = fuse([9], [2], RetrievalSettings(rrf_k=60, dense_weight=1.0, lexical_weight=1.0))
    assert fused.top(2) == [2, 9]


def _convex(share: float, smoothing: float) -> RetrievalSettings:
    return RetrievalSettings(fusion="convex", dense_share=share, smoothing=smoothing)


def test_convex_fusion_adds_cosine_and_bm25_over_the_best_bm25() -> None:
    cosine = {1: 0.8, 4: 0.2}
    bm25 = np.array([0.0, 2.0, 0.0, 0.0, 4.0])
    fused = fuse_scores([1], [4, 1], cosine.__getitem__, bm25, lambda p: [], _convex(0.7, 0))
    assert fused.scores[1] == pytest.approx(0.7 * 0.8 + 0.3 * 0.5)
    assert fused.scores[4] == pytest.approx(0.7 * 0.2 + 0.3 * 1.0)
    assert fused.top(2) == [1, 4]  # the cosine outweighs the best BM25 match here
    assert (fused.rank_dense, fused.rank_lexical) == ({1: 1}, {4: 1, 1: 2})


def test_convex_fusion_lets_neighbours_lift_a_sentence() -> None:
    cosine = {0: 0.5, 1: 0.5, 2: 0.9}
    bm25 = np.array([0.0, 0.0, 0.0])  # no term matched: BM25 adds nothing, no division by 0
    near = {0: [1], 1: [0, 2], 2: [1]}
    fused = fuse_scores([0, 1], [], cosine.__getitem__, bm25, near.__getitem__, _convex(1, 0.5))
    # 1 sits next to 2 (0.9), 0 only next to 1 (0.5): equal alone, 1 wins with neighbours.
    assert fused.scores[1] == pytest.approx(0.5 + 0.5 * (0.5 + 0.9) / 2)
    assert fused.scores[0] == pytest.approx(0.5 + 0.5 * 0.5)
    assert fused.top(1) == [1]
    assert 2 not in fused.scores  # a neighbour is context, not a candidate


def test_neighbours_stay_within_their_document() -> None:
    snap = snapshot()  # a.txt: positions 0-2, b.txt: 3-5
    assert adjacent(snap, 2) == [1]
    assert adjacent(snap, 3) == [4]
    assert adjacent(snap, 0) == [1]


def test_bm25_matches_stems_and_does_not_fold_other_words_into_names() -> None:
    snap = snapshot()
    assert snap.lexical.search("inspecting engineers", 2)[0][0] == 2  # stems meet
    scores = snap.lexical.scores("Brindle")
    assert scores[0] > 0 and not scores[1:].any()
    assert not snap.lexical.scores("the of and").any()  # stop words only: no match
