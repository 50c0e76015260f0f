"""Time in questions and answers: "last week", "in December 2024", "before/after",
"latest", ``as_of``; the resolved range is echoed (``time_range``) and dated answers say
what they are "as of". The archive is the dated one of tests/test_filters.py."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from service.language.when import time_ask
from tests.test_filters import archive, client  # noqa: F401 (fixtures)

BASE = dt.date(2024, 12, 5)


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What happened in January 2020?", "2020-01-01", "2020-01-31"),
        ("What did the union say last week?", "2024-11-25", "2024-12-01"),
        ("What was reported before 3 December 2024?", None, "2024-12-02"),
        ("What did Reyes say after Dec 1?", "2024-12-02", None),
        ("What has happened since March?", "2024-03-01", None),
        ("How did the crews vote yesterday?", "2024-12-04", "2024-12-04"),
        ("How many were hurt three days ago?", "2024-12-02", "2024-12-02"),
        ("What did Putin say in late November about the plan?", "2024-11-01", "2024-11-30"),
        ("What happened in 2014?", "2014-01-01", "2014-12-31"),
    ],
)
def test_a_question_s_period_is_understood_relative_to_its_base_day(
    question: str, start: str | None, end: str | None
) -> None:
    got = time_ask(question, BASE)
    assert (got.start and got.start.isoformat(), got.end and got.end.isoformat()) == (start, end)


@pytest.mark.parametrize(
    "question",
    [
        "What did May say in Moscow?",  # a name, not the month
        "Who won the 2018 football World Cup?",  # a figure without a preposition
        "Which 5 points were agreed?",
        "What did Dmitriev say after the meeting?",
        "On what date did Putin meet Witkoff?",
        "How much snow fell in Seoul on Tuesday?",  # the article's own Tuesday
        "How many homes were built in the 13th district?",
        "What did they say by Tuesday?",
    ],
)
def test_words_that_are_no_period_are_left_alone(question: str) -> None:
    assert not time_ask(question, BASE).has_range


def test_latest_is_asked_by_its_words() -> None:
    assert time_ask("What is the latest vote count?", BASE).latest
    assert time_ask("What is the current death toll?", BASE).latest
    assert not time_ask("How did the crews vote?", BASE).latest


def ask(client: TestClient, question: str, **fields: object) -> dict[str, object]:  # noqa: F811
    r = client.post("/ask", json={"question": question, "include_retrieval": True, **fields})
    assert r.status_code == 200, r.text
    out: dict[str, object] = r.json()
    return out


def sources(a: dict[str, object], key: str = "retrieved") -> set[str]:
    return {e["source"] for e in a[key]}  # type: ignore[attr-defined,index]


def test_a_period_in_the_question_filters_by_publication_date_and_is_echoed(
    client: TestClient,  # noqa: F811
) -> None:
    got = ask(client, "How did the ferry union vote in January 2025?", top_k=50)
    assert sources(got) == {"gazette-vote.html"}
    assert got["time_range"] == {
        "phrase": "in January 2025",
        "from": "2025-01-01",
        "to": "2025-01-31",
        "applied": True,
        "latest": False,
        "as_of": None,
        "relative_to": "2025-01-10",  # the newest article's day
    }
    before = ask(client, "How did the crews vote before 4 December 2024?", top_k=50)
    assert "coast-vote.html" not in sources(before) and "gazette-vote.html" not in sources(before)
    assert "herald-vote.html" in sources(before)


def test_a_period_no_dated_article_falls_in_is_echoed_but_not_applied(
    client: TestClient,  # noqa: F811
) -> None:
    """It may name when something happened, not when it was reported."""
    got = ask(client, "How did the ferry crews vote in 2014?", top_k=50)
    assert got["time_range"]["applied"] is False  # type: ignore[index]
    assert len(sources(got)) >= 3


def test_as_of_hides_later_articles_and_counts_last_week_from_it(
    client: TestClient,  # noqa: F811
) -> None:
    got = ask(client, "How did the ferry crews vote?", as_of="2024-12-04", top_k=50)
    assert "coast-vote.html" not in sources(got) and "gazette-vote.html" not in sources(got)
    assert got["time_range"]["to"] == "2024-12-04"  # type: ignore[index]
    week = ask(client, "What happened last week?", as_of="2024-12-04", top_k=50)
    assert week["time_range"]["from"] == "2024-11-25"  # type: ignore[index]


def test_latest_cites_the_newest_report_and_the_answer_says_as_of(
    client: TestClient,  # noqa: F811
) -> None:
    got = ask(client, "How many votes for the offer did the latest ballot count find?")
    assert not got["refused"], got
    assert sources(got, "citations") == {"gazette-vote.html"}
    assert got["as_of"] == "2025-01-10"
    assert str(got["answer"]).endswith("(as of 10 January 2025)")
    streamed = client.post(
        "/v1/chat/completions",
        json={
            "model": "newsqa-extractive",
            "messages": [
                {
                    "role": "user",
                    "content": "How many votes for the offer did the latest ballot count find?",
                }
            ],
        },
    ).json()
    assert streamed["choices"][0]["message"]["content"] == got["answer"]
    assert streamed["time_range"]["latest"] is True
