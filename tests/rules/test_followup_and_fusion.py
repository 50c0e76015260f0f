"""Follow-up resolution (answering.followup) and rank fusion (retrieval.fusion), directly."""

from __future__ import annotations

from service.answering.base import Turn
from service.answering.followup import condense
from service.retrieval.fusion import fuse
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
