"""Disagreements shown as disagreements (issue 26 §3): two reports that answer with
different figures for one quantity, or a claim and its denial, make a `disputed` answer
citing both sides with their dates; copies and agreeing reports do not.

The archive is written here: two outlets' reports of one flood giving different death
tolls, a verbatim copy of the first, a report agreeing with it, and a port story where a
company denies what a union says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.language.quantities import figures
from tests.conftest import make_ingester, make_settings
from tests.disputed_reports import FLOOD_A, FLOOD_B, FLOOD_Q

PORT = (
    "date 2024-06-10 Dock strike talks\n\n"
    "The dockers' union said the port company had cut the night shift pay of its crane "
    "operators by a fifth.\n"
    "The company denied that it had cut the night shift pay of its crane operators.\n"
    "Talks between the two sides resume on Friday.\n"
)
HARBOUR = (
    "date 2024-06-11 Ferry timetable\n\n"
    "The harbour ferry will run every twenty minutes from Monday, the operator said.\n"
    "A second ferry joins the route in July.\n"
)
DOCS = {
    "flood-a.txt": FLOOD_A,
    "flood-a-copy.txt": FLOOD_A.replace("2024-05-02", "2024-05-04"),
    "flood-b.txt": FLOOD_B,
    "port.txt": PORT,
    "harbour.txt": HARBOUR,
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("disputes")
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path_factory.mktemp("index"))
    summary = make_ingester(settings).ingest_paths(sorted(folder.iterdir()))
    assert summary.count("failed") == 0, summary.line()
    with TestClient(create_app(settings)) as c:
        yield c


def ask(client: TestClient, question: str) -> dict[str, Any]:
    r = client.post("/ask", json={"question": question})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_figures_name_what_they_count() -> None:
    found = figures(
        [
            "At least 12 people were killed on Tuesday.",
            "Nine people died, and 87% of homes lost power; the rate was 78 percent in 2016.",
            "The temperature rose 1.3°C above the average, a payment of $500,000.",
        ]
    )
    assert [(f.value, f.counts) for f in found[0]] == [(12.0, "people")]
    assert [(f.value, f.counts) for f in found[1]] == [(9.0, "people"), (87.0, "%"), (78.0, "%")]
    assert [(f.value, f.counts) for f in found[2]] == [(1.3, "c"), (500000.0, "money")]


def test_different_tolls_are_a_dispute_citing_both_sides_with_dates(client: TestClient) -> None:
    body = ask(client, FLOOD_Q)
    assert body["disputed"] is True, body["answer"]
    dispute = body["dispute"]
    assert dispute["kind"] == "figures"
    by_id = {c["id"]: c for c in body["citations"]}
    sides = dispute["sides"]
    # one side per report: the first report (or its copy, dated later) and the second
    story = {"flood-a.txt": "a", "flood-a-copy.txt": "a", "flood-b.txt": "b"}
    assert sorted(story[by_id[s["citation"]]["source"]] for s in sides) == ["a", "b"]
    dates = {"flood-a.txt": "2024-05-02", "flood-a-copy.txt": "2024-05-04"}
    assert {s["date"] for s in sides} == {
        dates.get(s["source"], "2024-05-03") for s in sides
    } and "2024-05-03" in {s["date"] for s in sides}
    assert sorted(s["figure"] for s in sides) == ["At least 12 people", "Nine people"]
    assert body["answer"].startswith("The sources disagree:")
    for side in sides:
        assert f"[{side['citation']}]" in body["answer"]


def test_the_stream_and_the_chat_route_carry_the_dispute(client: TestClient) -> None:
    plain = ask(client, FLOOD_Q)
    with client.stream("POST", "/ask/stream", json={"question": FLOOD_Q}) as r:
        lines = list(r.iter_lines())
    at = lines.index("event: final")
    final = json.loads(lines[at + 1][len("data:") :])
    assert (final["disputed"], final["dispute"]) == (True, plain["dispute"])
    chat = client.post(
        "/v1/chat/completions",
        json={"model": "newsqa-extractive", "messages": [{"role": "user", "content": FLOOD_Q}]},
    )
    assert chat.status_code == 200, chat.text
    extra = chat.json()
    assert extra["disputed"] is True
    assert extra["dispute"]["sides"] == plain["dispute"]["sides"]


def test_a_claim_and_its_denial_are_a_dispute(client: TestClient) -> None:
    body = ask(client, "Did the port company cut the night shift pay of its crane operators?")
    assert body["disputed"] is True, body["answer"]
    assert body["dispute"]["kind"] == "denial"
    assert {s["sentence"] for s in body["dispute"]["sides"]} == {1, 2}


def test_agreeing_reports_and_a_lone_report_are_not_disputed(client: TestClient) -> None:
    for question in (
        "Where did the rescue teams arrive by boat?",
        "How often will the harbour ferry run from Monday?",
        "How many helicopters did the army send to the valley?",
    ):
        body = ask(client, question)
        assert not body["refused"], (question, body["answer"])
        assert body["disputed"] is False and "dispute" not in body, (question, body["answer"])
