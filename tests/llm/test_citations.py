"""Citation parsing and verification on hand-made model answers (no model is called).

The answers are written here, against the real index and real retrieval, so that each rule
is exercised on purpose: marker styles, renumbering, markers that point at nothing,
citations that do not support their sentence, changed numbers and names, name variants,
answers from memory, repeats and cut-off sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from service.answering.base import Answer, Question, Turn
from service.answering.citations import CitationBook, marker_numbers, split_marked
from service.answering.evidence_window import ShownEvidence
from service.answering.llm_answerer import LLMAnswerer, accept_condensed
from service.answering.verification import is_decline
from service.container import Container
from service.settings import Settings

# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ushakov spoke [1].", [("Ushakov spoke.", (1,))]),
        ("Ushakov spoke. [1]", [("Ushakov spoke.", (1,))]),
        ("Ushakov spoke [1, 2].", [("Ushakov spoke.", (1, 2))]),
        ("Ushakov spoke [1][2].", [("Ushakov spoke.", (1, 2))]),
        ("Ushakov spoke【1】【3】.", [("Ushakov spoke.", (1, 3))]),
        ("Ushakov spoke[^2].\n\n[^2]: 000.txt, sentence 10", [("Ushakov spoke.", (2,))]),
        ("Ushakov spoke [Evidence 4].", [("Ushakov spoke.", (4,))]),
        ("Ushakov spoke [2-4].", [("Ushakov spoke.", (2, 3, 4))]),
        (
            "The U.S. envoy met Putin [1]. Ushakov spoke [2].",
            [
                ("The U.S. envoy met Putin.", (1,)),
                ("Ushakov spoke.", (2,)),
            ],
        ),
        (
            "- Putin warned Europe [3]\n- Ushakov spoke [1]",
            [
                ("Putin warned Europe", (3,)),
                ("Ushakov spoke", (1,)),
            ],
        ),
        (
            "Answer: Ushakov spoke. No marker here.",
            [
                ("Ushakov spoke.", ()),
                ("No marker here.", ()),
            ],
        ),
        ("Ushakov spoke.\n[5]", [("Ushakov spoke.", (5,))]),
        # a numbered list copied from the evidence: the marker numbers what follows it
        (
            "The evidence is: [1] Ushakov spoke. [2] Putin warned Europe.\n[3] Rubio agreed.",
            [("Ushakov spoke.", (1,)), ("Putin warned Europe.", (2,)), ("Rubio agreed.", (3,))],
        ),
        # the model echoing the evidence's annotation is not part of the answer
        (
            "[1] Ushakov spoke.\n(from 004_x.txt, sentence 2; before it: …He left.)",
            [("Ushakov spoke.", (1,))],
        ),
        ("The evidence is that Ushakov spoke [1].", [("Ushakov spoke.", (1,))]),
    ],
)
def test_markers_and_their_variants_are_parsed(
    text: str, expected: list[tuple[str, tuple[int, ...]]]
) -> None:
    assert [(s.text, s.markers) for s in split_marked(text)] == expected


def test_marker_number_lists() -> None:
    assert marker_numbers("1, 2; 3 and 5") == [1, 2, 3, 5]
    assert marker_numbers("7-5") == [7, 5]  # not a range: kept as written
    assert marker_numbers("1-40") == [1, 40]  # too long for a range


def test_citation_book_numbers_by_first_appearance() -> None:
    from service.retrieval.evidence import SentenceRef

    book = CitationBook()
    a, b = SentenceRef("b.txt", 4, "B"), SentenceRef("a.txt", 9, "A")
    assert [book.cite(a), book.cite(b), book.cite(a)] == [1, 2, 1]
    assert [(c.id, c.source, c.sentence) for c in book.citations] == [
        (1, "b.txt", 4),
        (2, "a.txt", 9),
    ]


def test_condensed_rewrites_are_accepted_only_when_safe() -> None:
    history = (Turn("user", "What did Macron say about the plan?"),)
    ok = accept_condensed(
        "And what did Kallas say?", history, "What did Kallas say about the plan?"
    )
    assert ok == "What did Kallas say about the plan?"
    label = accept_condensed("And Kallas?", history, "Rewritten question: What did Kallas say?")
    assert label == "What did Kallas say?"
    # drops a word of the follow-up, or brings in a name nobody used
    assert accept_condensed("And what did Kallas say?", history, "What did Macron say?") is None
    assert accept_condensed("Where was he?", history, "Where was Lavrov in Crimea?") is None
    assert accept_condensed("Where was he?", history, "") is None
    # not a question, or the pronoun left unresolved (both seen from the local model)
    follow = (Turn("user", "Where did Zelensky speak from?"),)
    assert accept_condensed("Where was he?", follow, "Where was Zelensky?") == "Where was Zelensky?"
    statement = "The German chancellor said the plan had not been drawn up."
    assert accept_condensed("And what did the German chancellor say?", follow, statement) is None
    vague = "The answer to the question about the visit is: the talks?"
    assert accept_condensed("Where was he?", follow, vague) is None


@pytest.mark.parametrize(
    ("sentence", "declines"),
    [
        ("The articles do not cover this.", True),
        ("The evidence does not say who won.", True),
        ("There is no information about the Pope in the articles.", True),
        ("The White House said the plan had been revised, but gave no further details.", False),
        ("Rubio declined to say how soon an agreement could be reached.", False),
        # claims of the local model that an earlier pattern took for declines
        ("The White House said the plan was revised, but gave no details about the plans.", False),
        ("Russia claims Kupyansk, but the evidence shows that it is not just about a city.", False),
    ],
)
def test_a_decline_is_told_from_a_claim(sentence: str, declines: bool) -> None:
    assert is_decline(sentence) is declines


# --- verification --------------------------------------------------------------------------

Verify = Callable[..., tuple[Answer, list[ShownEvidence]]]


@pytest.fixture(scope="module")
def answerer(corpus_index: Settings) -> tuple[LLMAnswerer, Container]:
    settings = corpus_index.model_copy(
        update={"llm": corpus_index.llm.model_copy(update={"base_url": "http://127.0.0.1:9/v1"})}
    )
    container = Container(settings)
    llm = container.answerers["llm"]
    assert isinstance(llm, LLMAnswerer)
    return llm, container


@pytest.fixture(scope="module")
def verify(answerer: tuple[LLMAnswerer, Container]) -> Verify:
    llm, container = answerer

    def run(
        question: str, write: Callable[[list[ShownEvidence]], str], **kw: bool
    ) -> tuple[Answer, list[ShownEvidence]]:
        q = Question(question, question)
        retrieval = container.retriever().retrieve(question)
        _, shown = llm.build(q, retrieval)
        return llm.verified(q, retrieval, write(shown), shown, **kw), shown

    return run


def shown_with(shown: list[ShownEvidence], word: str) -> ShownEvidence:
    return next(s for s in shown if word in s.evidence.ref.text)


def markers_in(answer: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", answer)]


def assert_consistent(answer: Answer) -> None:
    ids = [c.id for c in answer.citations]
    assert ids == list(range(1, len(ids) + 1))
    assert list(dict.fromkeys(markers_in(answer.answer))) == ids


def test_citations_are_renumbered_in_order_of_appearance(verify: Verify) -> None:
    def write(shown: list[ShownEvidence]) -> str:
        third, first = shown[2], shown[0]
        return f"{third.evidence.ref.text} [3] {first.evidence.ref.text} [1]"

    answer, shown = verify("What did Ushakov say?", write)
    assert answer.mode == "llm" and not answer.fallback
    assert_consistent(answer)
    assert [(c.source, c.sentence) for c in answer.citations] == [
        (shown[2].evidence.ref.source, shown[2].evidence.ref.sentence),
        (shown[0].evidence.ref.source, shown[0].evidence.ref.sentence),
    ]
    assert all(claim["supported"] and not claim["aligned"] for claim in answer.claims)


def test_markers_pointing_at_nothing_are_dropped(verify: Verify) -> None:
    answer, shown = verify(
        "What did Ushakov say?", lambda shown: f"{shown[0].evidence.ref.text} [1][99]"
    )
    assert len(answer.citations) == 1 and answer.answer.endswith("[1]")
    assert answer.citations[0].text == shown[0].evidence.ref.text


def test_a_wrong_citation_is_replaced_by_the_supporting_sentence(verify: Verify) -> None:
    answer, shown = verify(
        "What did Ushakov say?", lambda shown: f"{shown[1].evidence.ref.text} [1]"
    )
    assert [c.text for c in answer.citations] == [shown[1].evidence.ref.text]
    assert answer.claims[0]["aligned"] is True and answer.claims[0]["model_citations"] == [1]


def test_a_changed_number_is_not_supported(verify: Verify) -> None:
    def write(shown: list[ShownEvidence]) -> str:
        s = shown_with(shown, "five hours")
        return s.evidence.ref.text.replace("five hours", "seven hours") + f" [{s.number}]"

    answer, _ = verify("How long did the talks in the Kremlin last?", write)
    assert answer.fallback == "llm_unsupported_answer" and answer.mode == "extractive"
    assert answer.claims[0]["supported"] is False and "seven" in answer.claims[0]["missing"]


def test_a_changed_name_is_not_supported(verify: Verify) -> None:
    def write(shown: list[ShownEvidence]) -> str:
        s = shown_with(shown, "Ushakov")
        return s.evidence.ref.text.replace("Ushakov", "Lavrov") + f" [{s.number}]"

    answer, _ = verify("What did Ushakov say?", write)
    assert answer.fallback == "llm_unsupported_answer"
    assert "Lavrov" in answer.claims[0]["missing"]


def test_a_spelling_variant_of_a_name_still_supports(verify: Verify) -> None:
    def write(shown: list[ShownEvidence]) -> str:
        s = shown_with(shown, "Vitkov")
        return s.evidence.ref.text.replace("Vitkov", "Witkoff") + f" [{s.number}]"

    answer, _ = verify("What did Ushakov say about the talks with Vitkov?", write)
    assert answer.mode == "llm" and answer.claims[0]["supported"] is True
    assert "Vitkov" in answer.citations[0].text


def test_a_name_is_not_borrowed_from_the_sentence_before(verify: Verify) -> None:
    """003 sentence 2 names Dimitriev; sentence 3 names its own speaker, Ushakov. Giving
    Ushakov's words to Dimitriev must not pass because Dimitriev stands next door."""

    def write(shown: list[ShownEvidence]) -> str:
        s = shown_with(shown, "constructive, useful and substantive")
        return s.evidence.ref.text.replace("Yuri Ushakov", "Kirill Dimitriev") + f" [{s.number}]"

    answer, _ = verify("What did Ushakov say about the talks with Vitkov?", write)
    assert answer.claims[0]["supported"] is False, (answer.claims, answer.citations)
    assert "Dimitriev" in answer.claims[0]["missing"]


def test_an_answer_from_memory_is_reduced_to_its_supported_part(verify: Verify) -> None:
    def write(shown: list[ShownEvidence]) -> str:
        return (
            "Ushakov was born in Moscow in 1947 and served as ambassador in Washington. [1] "
            f"{shown[0].evidence.ref.text} [1] "
            "He later won the Nobel Peace Prize in 2019. [2]"
        )

    answer, shown = verify("What did Ushakov say?", write)
    assert answer.mode == "llm" and not answer.refused
    assert answer.answer == f"{shown[0].evidence.ref.text} [1]"
    assert [c["supported"] for c in answer.claims] == [False, True, False]
    assert [c["shown"] for c in answer.claims] == [False, True, False]
    assert "1947" not in answer.answer and "Nobel" not in answer.answer


def test_a_model_that_declines_is_a_refusal(verify: Verify) -> None:
    answer, _ = verify("What did Ushakov say?", lambda shown: "The articles do not cover this.")
    assert answer.refused and answer.refusal_reason == "model_declined" and not answer.citations


def test_repeats_and_a_cut_off_sentence_are_dropped(verify: Verify) -> None:
    def write(shown: list[ShownEvidence]) -> str:
        text = shown[0].evidence.ref.text
        # cut off a shown sentence long enough that its first 40 characters are not whole
        long = next(s.evidence.ref.text for s in shown[1:] if len(s.evidence.ref.text) > 60)
        return f"{text} [1] {text} [1] {long[:40]}"

    answer, shown = verify("What did Ushakov say?", write, truncated=True)
    assert answer.answer == f"{shown[0].evidence.ref.text} [1]"
    assert [c.get("repeated", False) for c in answer.claims] == [False, True]
