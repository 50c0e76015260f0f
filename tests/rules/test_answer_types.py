"""The entity types a question asks for: a rule of English question forms, checked on
made-up questions of each form (not on eval cases)."""

from __future__ import annotations

import pytest

from service.language.entities import (
    AMOUNT_LIKE,
    COUNT_LIKE,
    PERSON_LIKE,
    PLACE_LIKE,
    TIME_LIKE,
    decode_labels,
    encode_labels,
    expected_labels,
)


@pytest.mark.parametrize(
    ("question", "labels"),
    [
        ("Who inspected the Brindle bridge?", PERSON_LIKE),
        ("Whom did Mayor Halvorsen thank?", PERSON_LIKE),
        ("When will the bridge reopen?", TIME_LIKE),
        ("Where did the engineers meet?", PLACE_LIKE),
        ("How many engineers came from Tarvik?", COUNT_LIKE),
        ("How much did the repairs cost?", AMOUNT_LIKE),
        ("In what year was Nordlys founded?", frozenset({"DATE"})),
        ("Which year did the ferry stop?", frozenset({"DATE"})),
        ("What percentage of residents use the ferry?", frozenset({"PERCENT"})),
        ("The ferry company was founded in which country?", frozenset({"GPE"})),
        ("Which company runs the ferry?", frozenset({"ORG"})),
        ("What language do the residents of Tarvik speak?", frozenset({"LANGUAGE"})),
    ],
)
def test_question_forms_map_to_labels(question: str, labels: frozenset[str]) -> None:
    assert expected_labels(question) == labels


@pytest.mark.parametrize(
    "question",
    [
        "Why was the bridge closed?",
        "How did the residents react?",
        "What did Okonkwo say about the engineers?",
        "Is the bridge open?",
        # The earliest wh-word is the one asked: "who" here only names the speaker.
        "What did the engineer who inspected the bridge say?",
    ],
)
def test_questions_that_ask_for_no_entity_type(question: str) -> None:
    assert expected_labels(question) is None


def test_the_earliest_wh_phrase_decides() -> None:
    assert expected_labels("Who said when the bridge would reopen?") == PERSON_LIKE
    assert expected_labels("When did the mayor say who would pay?") == TIME_LIKE


def test_labels_round_trip_through_metadata() -> None:
    assert decode_labels(encode_labels(frozenset({"PERSON", "DATE"}))) == {"PERSON", "DATE"}
    assert decode_labels(encode_labels(frozenset())) == frozenset()  # tagged, none found
    assert decode_labels(None) is None  # never tagged: unknown
