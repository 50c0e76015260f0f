"""Time in questions and answers: "last week", "in December 2024", "before/after",
"latest", ``as_of``; the resolved range is echoed (``time_range``) and dated answers say
what they are "as of". The archive is the dated one of tests/test_filters.py."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from service.answering.base import Question
from service.answering.dated_claims import Drafted, newest_first
from service.answering.extractive import ExtractiveAnswerer, _figures_differ
from service.answering.llm_answerer import LLMAnswerer
from service.container import Container
from service.language.when import time_ask
from service.retrieval.evidence import SentenceRef
from service.settings import Settings
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


# -- differing dates: the newest first, each claim naming its day and source -------------

VOTE = "How did the ferry union vote?"
DAY_WORDS = {  # the archive's documents as the answers name them
    "gazette-vote.html": ("10 January 2025", "gazette.example.org"),
    "coast-vote.html": ("5 December 2024", "news.coastpost.com"),
    "herald-vote.html": ("3 December 2024", "harbourherald.co.uk"),
    "herald-sport.html": ("20 November 2024", "sport.harbourherald.co.uk"),
    "talks.txt": ("28 November 2024", None),
}


def stream(client: TestClient, question: str, **fields: object) -> tuple[str, dict[str, object]]:  # noqa: F811
    """The concatenated deltas and the final event of /ask/stream."""
    with client.stream("POST", "/ask/stream", json={"question": question, **fields}) as r:
        assert r.status_code == 200
        text = "".join(r.iter_text())
    deltas, final = [], {}
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = block.splitlines()
        data = next(
            (ln.removeprefix("data:").strip() for ln in lines if ln.startswith("data:")), ""
        )
        if "event: delta" in block:
            deltas.append(json.loads(data)["text"])
        elif "event: final" in block:
            final = json.loads(data)
    return "".join(deltas), final


def chat_answer(client: TestClient, question: str, **fields: object) -> str:  # noqa: F811
    r = client.post(
        "/v1/chat/completions",
        json={
            "model": "newsqa-extractive",
            "messages": [{"role": "user", "content": question}],
            **fields,
        },
    )
    assert r.status_code == 200, r.text
    return str(r.json()["choices"][0]["message"]["content"])


def test_sources_of_different_dates_are_named_newest_first(client: TestClient) -> None:  # noqa: F811
    got = ask(client, VOTE, top_k=50)
    cites = got["citations"]
    days = [c["date"] for c in cites]  # type: ignore[attr-defined,index]
    assert len({d for d in days if d}) >= 2, cites  # the case under test: dates differ
    dated = [d for d in days if d]
    assert dated == sorted(dated, reverse=True)  # [1] is the newest report
    assert days == dated + [None] * (len(days) - len(dated))  # undated ones last
    answer = str(got["answer"])
    first_day, first_site = DAY_WORDS[cites[0]["source"]]  # type: ignore[index]
    assert answer.startswith(f"On {first_day}, {first_site} reported: ")
    for c in cites:  # every cited document's day is named before its marker
        day, _ = DAY_WORDS[c["source"]]  # type: ignore[index]
        assert f"On {day}," in answer or f"on {day}," in answer
        assert answer.index(day) < answer.index(f"[{c['id']}]")  # type: ignore[index]
    assert answer.endswith(f"(as of {DAY_WORDS[cites[0]['source']][0]})")  # type: ignore[index]
    assert all(c["verified"] for c in cites)  # type: ignore[index]


def test_the_dated_form_is_the_same_through_stream_and_chat(client: TestClient) -> None:  # noqa: F811
    plain = str(ask(client, VOTE, top_k=50)["answer"])
    assert " reported: " in plain
    deltas, final = stream(client, VOTE, top_k=50)
    assert final["answer"] == deltas == plain
    assert chat_answer(client, VOTE, top_k=50) == plain


def test_sources_of_one_day_keep_the_plain_form(client: TestClient) -> None:  # noqa: F811
    got = ask(client, VOTE, date_from="2024-12-03", date_to="2024-12-03", top_k=50)
    assert not got["refused"], got
    assert {c["date"] for c in got["citations"]} == {"2024-12-03"}  # type: ignore[attr-defined,index]
    answer = str(got["answer"])
    assert " reported: " not in answer and not answer.startswith("On 3 December")
    assert answer.endswith("(as of 3 December 2024)")
    deltas, final = stream(client, VOTE, date_from="2024-12-03", date_to="2024-12-03", top_k=50)
    assert final["answer"] == deltas == answer


def test_undated_claims_come_after_dated_ones_without_a_date(archive: Settings) -> None:  # noqa: F811
    snap = Container(archive).state().snapshot()

    def claim(source: str) -> Drafted:
        s = next(s for s in snap.sentences if s.source == source)
        return Drafted(s.text, (SentenceRef(s.source, s.number, s.text),))

    undated = replace(
        snap,
        documents={**snap.documents, "talks.txt": replace(snap.documents["talks.txt"], date=None)},
    )
    drafted = [claim("talks.txt"), claim("herald-vote.html"), claim("coast-vote.html")]
    out = newest_first(drafted, undated)
    assert [d.refs[0].source for d in out] == ["coast-vote.html", "herald-vote.html", "talks.txt"]
    assert out[0].text == f"On 5 December 2024, news.coastpost.com reported: {drafted[2].text}"
    assert out[1].text.startswith("On 3 December 2024, harbourherald.co.uk reported: ")
    title = undated.documents["talks.txt"].title or "talks.txt"
    assert out[2].text == f"{title} reported: {drafted[0].text}"  # no day
    # one claim several documents state names each, the newest first
    both = Drafted("x", drafted[1].refs + drafted[2].refs)
    (only,) = newest_first([both], undated)
    assert only.text == (
        "On 5 December 2024, news.coastpost.com; on 3 December 2024, harbourherald.co.uk "
        "reported: x"
    )
    assert [r.source for r in only.refs] == ["coast-vote.html", "herald-vote.html"]
    # dated documents of one day, or one dated among undated ones: as they are
    assert newest_first(drafted[:2], undated) == drafted[:2]


def test_the_llm_sees_each_sentence_s_day_and_site_and_its_dated_reply_verifies(
    archive: Settings,  # noqa: F811
) -> None:
    """The real verifier over a reply written in the asked form (oldest first, one sentence
    without its prefix): the service orders and dates it; a prefix naming a day the
    evidence does not show is a claim of its own, and unsupported."""
    dead = archive.llm.model_copy(update={"base_url": "http://127.0.0.1:9/v1"})
    container = Container(archive.model_copy(update={"llm": dead}))
    llm = container.answerers["llm"]
    assert isinstance(llm, LLMAnswerer)
    q = Question(VOTE, VOTE)
    retrieval = container.retriever().retrieve(VOTE, 50)
    messages, shown = llm.build(q, retrieval)
    herald = next(s for s in shown if "312" in s.evidence.ref.text)
    coast = next(s for s in shown if "290" in s.evidence.ref.text)
    prompt = messages[1]["content"]
    assert "reported by harbourherald.co.uk on 3 December 2024" in prompt
    assert "put the newest first" in prompt

    reply = (
        f"On 3 December 2024, harbourherald.co.uk reported: {herald.evidence.ref.text} "
        f"[{herald.number}] {coast.evidence.ref.text} [{coast.number}]"
    )
    got = llm.verified(q, retrieval, reply, shown)
    assert got.mode == "llm" and not got.fallback, got
    assert [c.source for c in got.citations] == ["coast-vote.html", "herald-vote.html"]
    assert got.answer == (
        f"On 5 December 2024, news.coastpost.com reported: {coast.evidence.ref.text} [1] "
        f"On 3 December 2024, harbourherald.co.uk reported: {herald.evidence.ref.text} [2]"
    )
    invented = (
        f"On 9 May 2023, harbourherald.co.uk reported: {herald.evidence.ref.text} "
        f"[{herald.number}] {coast.evidence.ref.text} [{coast.number}]"
    )
    got = llm.verified(q, retrieval, invented, shown)
    assert [c.source for c in got.citations] == ["coast-vote.html"]
    assert got.answer == f"{coast.evidence.ref.text} [1]"  # one day left: the plain form


def test_an_applied_period_is_a_filter_and_not_words_to_find(client: TestClient) -> None:  # noqa: F811
    """The answer to a question with its period applied is the one to the question without
    those words, inside the period's range; a period not applied keeps its words."""
    dated = ask(client, "How did the crews vote before 4 December 2024?", top_k=50)
    assert dated["time_range"]["applied"] is True  # type: ignore[index]
    assert dated["standalone_question"] == "How did the crews vote?"
    plain = ask(client, "How did the crews vote?", date_to="2024-12-03", top_k=50)
    assert (dated["answer"], dated["answerability"]) == (plain["answer"], plain["answerability"])
    kept = ask(client, "How did the ferry crews vote in 2014?", top_k=50)
    assert kept["time_range"]["applied"] is False  # type: ignore[index]
    assert kept["standalone_question"] == "How did the ferry crews vote in 2014?"


def test_reports_whose_figures_differ_are_not_merged_into_one_claim(archive: Settings) -> None:  # noqa: F811
    snap = Container(archive).state().snapshot()

    def pos(source: str, word: str) -> int:
        return next(
            i for i, s in enumerate(snap.sentences) if s.source == source and word in s.text
        )

    herald, coast = pos("herald-vote.html", "312 to 41"), pos("coast-vote.html", "290 to 60")
    assert _figures_differ(snap, herald, coast)
    assert not _figures_differ(snap, herald, herald)
    no_figures = pos("herald-vote.html", "night sailings")
    assert not _figures_differ(snap, herald, no_figures)  # one without figures may merge
    assert not ExtractiveAnswerer._same_fact(snap, herald, coast)
