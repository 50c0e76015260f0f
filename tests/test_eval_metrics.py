"""The eval's metric functions on small hand-made inputs (no service, no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.aggregate import summarise
from eval.cases import Case, load_cases
from eval.metrics import (
    abstention_metrics,
    answer_recall,
    check_citations,
    citation_id_metrics,
    claim_metrics,
    outcome,
    percentile,
    retrieval_metrics,
    token_f1,
)
from eval.resolve import resolve_cases
from eval.text import key_terms, normalise, split_answer_sentences

A, B = "000.txt", "001.txt"


def test_retrieval_metrics_single_set() -> None:
    ranked = [[(A, 5)], [(A, 1)], [(B, 2)], [(A, 2)]]
    m = retrieval_metrics(ranked, [{(A, 1), (A, 2)}])
    assert m["hit@1"] == 0.0 and m["hit@3"] == 1.0
    assert m["recall@1"] == 0.0 and m["recall@3"] == 0.5 and m["recall@5"] == 1.0
    assert m["mrr"] == pytest.approx(0.5)


def test_retrieval_metrics_alternative_sets_take_the_best() -> None:
    ranked = [[(B, 7)], [(A, 9)]]
    m = retrieval_metrics(ranked, [{(A, 1), (A, 2)}, {(B, 7)}])
    assert m["hit@1"] == 1.0 and m["recall@1"] == 1.0 and m["mrr"] == 1.0


def test_retrieval_metrics_chunks_cover_several_sentences() -> None:
    ranked = [set(), {(A, 1), (A, 2)}]
    m = retrieval_metrics(ranked, [{(A, 1), (A, 2)}])
    assert m["hit@1"] == 0.0 and m["recall@3"] == 1.0 and m["mrr"] == 0.5


def test_retrieval_metrics_miss_and_depth_limit() -> None:
    ranked = [[(B, n)] for n in range(1, 11)] + [[(A, 1)]]
    m = retrieval_metrics(ranked, [{(A, 1)}])
    assert m["hit@10"] == 0.0 and m["mrr"] == 0.0


def test_citation_id_metrics() -> None:
    gold = [{(A, 10), (A, 11)}, {(B, 2)}]
    m = citation_id_metrics({(A, 10), (B, 2), (B, 9)}, gold)
    assert m["citation_precision"] == pytest.approx(2 / 3)  # (B, 9) is not gold
    assert m["citation_recall"] == 1.0  # the {(B, 2)} set is fully cited
    assert m["source_recall"] == 1.0
    m = citation_id_metrics({(A, 10)}, gold)
    assert m["citation_recall"] == 0.5 and m["source_recall"] == 0.5
    assert citation_id_metrics(set(), gold)["citation_precision"] == 0.0
    # a related sentence (right to cite, not required) does not lower precision
    m = citation_id_metrics({(A, 10), (A, 12)}, gold, related={(A, 12)})
    assert m["citation_precision"] == 1.0 and m["citation_recall"] == 0.5


def test_check_citations_validity() -> None:
    stored = {(A, 1): "Putin said  this.", (A, 2): "Other."}
    cites = [
        {"id": 1, "source": A, "sentence": 1, "text": "Putin said this."},
        {"id": 2, "source": A, "sentence": 2, "text": "Not what is stored."},
        {"id": 3, "source": A, "sentence": 99, "text": "Other."},
    ]
    checks = check_citations(cites, lambda s, n: stored.get((s, n)))
    assert [c.valid for c in checks] == [True, False, False]


def test_split_answer_sentences_keeps_markers() -> None:
    answer = "Ushakov said the U.S. talks were useful [1][2]. He added work lies ahead. [3] Done"
    assert split_answer_sentences(answer) == [
        "Ushakov said the U.S. talks were useful [1][2].",
        "He added work lies ahead. [3]",
        "Done",
    ]


def test_claim_metrics() -> None:
    cites = check_citations(
        [
            {
                "id": 1,
                "source": A,
                "sentence": 1,
                "text": "Five-hour talks between Putin and Witkoff ended on 2 December.",
            },
            {"id": 2, "source": B, "sentence": 3, "text": "Kushner was there."},
        ],
        lambda s, n: {
            (A, 1): "Five-hour talks between Putin and Witkoff ended on 2 December.",
            (B, 3): "Kushner was there.",
        }.get((s, n)),
    )
    answer = (
        "Putin and Witkoff talked for five hours [1]. "
        "Rubio met Kushner in Florida [2]. No citation here. Bad marker [7]."
    )
    m = claim_metrics(answer, cites)
    assert m["answer_sentences"] == 4
    assert m["cited_sentence_share"] == 0.5
    # terms: {putin, witkoff, five} all found; {rubio, kushner, florida}: kushner only
    assert m["key_term_support"] == pytest.approx(4 / 6)
    assert m["dangling_markers"] == 1


def test_key_terms_skip_sentence_initial_function_words() -> None:
    assert key_terms("The talks on the 2nd of December lasted five hours, Ushakov said.") == {
        "2",
        "december",
        "five",
        "ushakov",
    }


def test_normalise_typography() -> None:
    assert normalise("Putin’s “14,000” — Micheál [3]") == "putin 14000 micheal"


def test_answer_recall_and_f1() -> None:
    groups = [["five", "5"], ["Witkoff", "Vitkov"]]
    assert answer_recall("Putin met Vitkov for 5 hours [1].", groups) == 1.0
    assert answer_recall("They met for five hours.", groups) == 0.5
    assert answer_recall("fivefold", [["five"]]) == 0.0  # whole words only
    assert answer_recall("anything", []) is None
    assert token_f1("five", [["five"]]) == 1.0
    assert token_f1("The talks lasted five hours", [["five"]]) == pytest.approx(2 * 0.25 / 1.25)
    assert token_f1("no overlap", [["five"]]) == 0.0


def test_outcome_and_abstention() -> None:
    assert outcome(True, False, True) == "correct"
    assert outcome(True, True, False) == "refused"
    assert outcome(True, False, False) == "wrong"
    assert outcome(False, True, False) == "correct"
    assert outcome(False, False, False) == "wrong"
    rows = [(True, False), (True, True), (False, True), (False, False), (False, True)]
    m = abstention_metrics(rows)
    assert m["refusal_precision"] == pytest.approx(2 / 3)
    assert m["refusal_recall"] == pytest.approx(2 / 3)
    assert m["false_refusal_rate"] == 0.5


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0], 95) == 10.0


def test_summarise_scores_over_all_cases() -> None:
    rows = [
        {
            "answerable": True,
            "refused": False,
            "outcome": "correct",
            "latency_ms": 10.0,
            "answer_words": 20,
            "metrics": {"hit@5": 1.0, "answer_recall": 1.0},
        },
        {
            "answerable": True,
            "refused": True,
            "outcome": "refused",
            "latency_ms": 30.0,
            "metrics": {"hit@5": 0.0},
        },
        {
            "answerable": False,
            "refused": False,
            "outcome": "wrong",
            "latency_ms": 20.0,
            "answer_words": 10,
            "metrics": {},
        },
    ]
    s = summarise(rows)
    assert s["score"] == pytest.approx(0.0)
    assert s["hit@5"] == 0.5 and s["n_hit@5"] == 2
    assert s["answer_recall"] == 1.0
    assert s["false_refusal_rate"] == 0.5 and s["refusal_recall"] == 0.0
    assert s["latency_p50_ms"] == 20.0


def test_resolve_moves_numbers_and_reports_problems(tmp_path: Path) -> None:
    line = {
        "id": "x",
        "question": "q?",
        "answerable": True,
        "answers": [["a"]],
        "evidence": [
            [{"source": A, "sentence": 3, "quote": "closing words"}],
            [{"source": B, "sentence": 1, "quote": "lost quote"}],
        ],
        "tags": ["multi-source"],
    }
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(line) + "\n")
    cases: list[Case] = load_cases([path])
    table = {A: {1: "First.", 2: "Then the closing words.", 3: "Other."}, B: {1: "Nothing."}}
    moves, problems = resolve_cases(cases, table)
    assert [(m.old, m.new) for m in moves] == [(3, 2)]
    assert cases[0].evidence[0][0].sentence == 2
    assert len(problems) == 1 and "no sentence" in problems[0].detail


def test_case_format_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "x",
                "question": "q",
                "answerable": True,
                "answers": [],
                "evidence": [],
                "tags": [],
            }
        )
        + "\n"
    )
    with pytest.raises(ValueError, match="evidence"):
        load_cases([path])
    path.write_text(
        json.dumps({"id": "x", "question": "q", "answerable": False, "tags": ["nonsense"]}) + "\n"
    )
    with pytest.raises(ValueError, match="unknown tags"):
        load_cases([path])
