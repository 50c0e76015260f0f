"""The eval runner and judge against canned replies (no service, no model, no LLM)."""

from __future__ import annotations

from typing import Any

from eval.cases import Case
from eval.client import Reply
from eval.judge import judge_row
from eval.runner import evaluate_case

A = "000_a.txt"
STORED = {(A, 1): "Ushakov said the talks were constructive.", (A, 2): "Work lies ahead."}


class FakeClient:
    """Answers /ask from a queue of replies and sentences from ``STORED``."""

    where = "fake"

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.asked: list[dict[str, Any]] = []

    def ask(self, payload: dict[str, Any]) -> Reply:
        self.asked.append(payload)
        return self.replies.pop(0)

    def sentence(self, source: str, number: int) -> str | None:
        return STORED.get((source, number))


def case(**kw: Any) -> Case:
    base: dict[str, Any] = {
        "id": "c",
        "question": "What did Ushakov say?",
        "answerable": True,
        "answers": [["constructive"]],
        "evidence": [[{"source": A, "sentence": 1, "quote": "were constructive"}]],
        "tags": ["speaker", "single-source"],
    }
    base.update(kw)
    c = Case.model_validate(base)
    c.part = "dev"
    return c


def reply(**body: Any) -> Reply:
    base: dict[str, Any] = {"answer": "", "refused": False, "citations": [], "mode": "extractive"}
    base.update(body)
    return Reply(200, base, 12.0)


def ranked(*keys: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"source": s, "sentence": n, "score": 1.0, "text": ""} for s, n in keys]


def test_answered_case_is_scored() -> None:
    cites = [{"id": 1, "source": A, "sentence": 1, "text": STORED[(A, 1)]}]
    deep = ranked(*[(A, n) for n in range(2, 12)])
    client = FakeClient(
        reply(
            answer="Ushakov said the talks were constructive [1].",
            citations=cites,
            retrieved=ranked((A, 2), (A, 1)),
            timings_ms={"total": 5.0},
        ),
        reply(retrieved=[*ranked((A, 2), (A, 1)), *deep]),
    )
    row = evaluate_case(client, case(), "extractive")  # type: ignore[arg-type]
    assert row["outcome"] == "correct" and row["score"] == 1.0
    m = row["metrics"]
    assert m["hit@1"] == 0.0 and m["hit@3"] == 1.0 and m["mrr"] == 0.5
    assert m["citation_validity"] == 1.0 and m["citation_precision"] == 1.0
    assert m["answer_recall"] == 1.0 and m["cited_sentence_share"] == 1.0
    # the short ranked list was deepened by one extractive call with top_k=10
    assert client.asked[1]["top_k"] == 10 and client.asked[1]["mode"] == "extractive"
    assert row["server_ms"] == 5.0


def test_invalid_citation_and_wrong_answer() -> None:
    cites = [{"id": 1, "source": A, "sentence": 2, "text": "Not the stored text."}]
    client = FakeClient(
        reply(
            answer="Work lies ahead [1]. Also [3].",
            citations=cites,
            retrieved=ranked(*[(A, n) for n in range(1, 11)]),
        )
    )
    row = evaluate_case(client, case(), "extractive")  # type: ignore[arg-type]
    assert row["outcome"] == "wrong" and row["invalid_citations"] == [1]
    assert row["metrics"]["citation_validity"] == 0.0
    assert row["metrics"]["dangling_markers"] == 1


def test_refusals_and_errors() -> None:
    unanswerable = case(answerable=False, answers=[], evidence=[], tags=["unanswerable"])
    row = evaluate_case(FakeClient(reply(refused=True)), unanswerable, "extractive")  # type: ignore[arg-type]
    assert row["outcome"] == "correct"
    row = evaluate_case(FakeClient(reply(answer="A poem.")), unanswerable, "extractive")  # type: ignore[arg-type]
    assert row["outcome"] == "wrong"
    refused = FakeClient(reply(refused=True, retrieved=ranked(*[(A, n) for n in range(1, 11)])))
    row = evaluate_case(refused, case(), "extractive")  # type: ignore[arg-type]
    assert row["outcome"] == "refused" and row["score"] == 0.0
    assert row["metrics"]["hit@1"] == 1.0  # retrieval is scored even when the answer refused
    failing = FakeClient(Reply(500, {"error": "internal_error", "detail": "boom"}, 3.0))
    row = evaluate_case(failing, case(), "extractive")  # type: ignore[arg-type]
    assert row["outcome"] == "wrong" and "500" in row["error"]


def test_history_is_sent() -> None:
    follow = case(
        question="And what did Kallas say?",
        history=[{"role": "user", "content": "What did Macron say?"}],
        tags=["follow-up", "single-source"],
    )
    client = FakeClient(reply(refused=True, retrieved=ranked(*[(A, n) for n in range(1, 11)])))
    evaluate_case(client, follow, "llm")  # type: ignore[arg-type]
    assert client.asked[0]["history"] == [{"role": "user", "content": "What did Macron say?"}]
    assert client.asked[0]["mode"] == "llm" and client.asked[0]["include_retrieval"] is True


def test_judge_row_alce_style() -> None:
    """Citation 2 supports the claim alone; citation 1 does not and is not needed."""

    def complete(prompt: str) -> str:
        if "You grade an answer" in prompt:
            return "Yes."
        evidence = prompt.split("Evidence:")[1].split("Claim:")[0]
        return "yes" if "constructive" in evidence else "no"

    row = {
        "answerable": True,
        "question": "q",
        "answer": "Ushakov called the talks constructive [1][2].",
        "citations": [
            {"id": 1, "text": "Work lies ahead."},
            {"id": 2, "text": "The talks were constructive."},
        ],
    }
    out = judge_row(complete, row, {"answers": [["constructive"]], "texts": []})
    assert out["judge_citation_recall"] == 1.0
    assert out["judge_citation_precision"] == 0.5
    assert out["judge_answer_correct"] == 1.0
