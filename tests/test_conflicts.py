"""Conflicting figures for one quantity (issue 26 §3, offline): the answer says the sources
differ and cites each side with its date, through the real app and index.

The hand-made archive: three outlets' own reports of one fire, dated differently: the first
says at least 12 were killed, the second (a day later) that nine died, the third that the
fire killed 12; a report of another event whose figures agree with each other; and a dock
dispute where a company denies what a union says, beside a mayor who rejects a plan that
no sentence states."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.language.quantities import disagree, mentions
from tests.conftest import served_archive

FIRST = (
    "At least 12 people were killed when a fire swept through the Tarvik ferry terminal "
    "on Sunday night."
)
LATER = "Nine people died in the fire at the Tarvik ferry terminal, the regional police said."
AGREES = "The fire at the Tarvik ferry terminal killed 12 people, according to the fire brigade."
ARCHIVE = {  # source: (sentences, url, date)
    "coast-daily.txt": (
        [
            FIRST,
            "Firefighters fought the blaze for six hours before it was under control.",
            "The terminal's waiting hall and ticket office were destroyed.",
            "Ferries to the islands were cancelled until further notice.",
        ],
        "https://coast-daily.example/tarvik-fire",
        "2025-03-10",
    ),
    "north-post.txt": (
        [
            LATER,
            "Investigators are looking at an electrical fault in the ticket office.",
            "The mayor of Tarvik declared a day of mourning for the victims.",
            "The island ferry company said it would run a replacement service from the harbour.",
        ],
        "https://north-post.example/news/ferry-fire",
        "2025-03-11",
    ),
    "radio-tarvik.txt": (
        [
            AGREES,
            "Survivors described thick smoke filling the waiting hall within minutes.",
            "The regional hospital treated more patients for smoke inhalation overnight.",
        ],
        "https://radio-tarvik.example/fire",
        "2025-03-12",
    ),
    "harvest.txt": (
        [
            "At least 40 stalls took part in the Velmora harvest market on Saturday.",
            "The organisers counted 55 stalls by the afternoon, more than ever before.",
            "Apple growers from the valley sold out before noon.",
        ],
        "https://city-pages.example/harvest",
        "2025-03-10",
    ),
    "dock-strike.txt": (
        [
            "The dockers' union said the port company had cut the night shift pay of its "
            "crane operators by a fifth.",
            "The company denied that it had cut the night shift pay of its crane operators.",
            "Talks between the two sides resume on Friday.",
        ],
        "https://harbour-news.example/dock-strike",
        "2025-03-12",
    ),
    "ring-road.txt": (
        [
            "The mayor of Tarvik rejected the council's plan for a new ring road on Monday.",
            "She said the town would spend the money on its bus network instead.",
            "The ring road would have cost the town 40 million euros.",
        ],
        "https://city-pages.example/ring-road",
        "2025-03-11",
    ),
}
QUESTION = "How many people were killed in the fire at the Tarvik ferry terminal?"


def text_of(sentences: list[str]) -> bytes:
    return ("Regional news\n\n" + " ".join(sentences) + "\n").encode()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from served_archive(tmp_path_factory, "conflicts", ARCHIVE, text_of)


def test_conflicting_figures_are_said_and_each_side_cited_with_its_date(
    archive: TestClient,
) -> None:
    body = archive.post("/ask", json={"question": QUESTION}).json()
    assert not body["refused"], body
    assert body["disputed"] is True, body
    (conflict,) = body["conflicts"]
    assert conflict["quantity"] == "killed"
    by_id = {c["id"]: c for c in body["citations"]}
    sides = {s["value"]: s for s in conflict["sides"]}
    assert list(sides) == ["at least 12", "nine"]  # by the date each was first reported
    assert sides["at least 12"]["values"] == ["at least 12", "12"]  # they agree: one side
    assert [r["source"] for r in sides["at least 12"]["reports"]] == [
        "coast-daily.txt",
        "radio-tarvik.txt",
    ]
    assert [(r["source"], r["date"]) for r in sides["nine"]["reports"]] == [
        ("north-post.txt", "2025-03-11")
    ]
    first, later = by_id[sides["at least 12"]["citation"]], by_id[sides["nine"]["citation"]]
    assert (first["text"], first["date"]) == (FIRST, "2025-03-10")
    assert (later["text"], later["date"]) == (LATER, "2025-03-11")
    said = re.search(
        r"The sources differ on the number killed: (.*?)\.(?: \(as of|$)", body["answer"]
    )
    assert said, body["answer"]
    assert said.group(1) == (
        f"at least 12 [{first['id']}] (reported 10 March 2025); "
        f"nine [{later['id']}] (reported 11 March 2025)"
    )


def test_a_claim_is_never_supported_by_the_other_side(archive: TestClient) -> None:
    """ "Nine died" neither sits on a claim that 12 were killed nor counts as its
    corroboration."""
    body = archive.post("/ask", json={"question": QUESTION}).json()
    by_id = {c["id"]: c for c in body["citations"]}
    for run in re.findall(r"(?:\[\d+\])+", body["answer"]):
        figures = {
            m.written.replace("at least ", "")
            for i in re.findall(r"\d+", run)
            for m in mentions(by_id[int(i)]["text"])
        }
        assert not {"12", "nine"} <= figures, (run, body["answer"])
    for c in body["citations"]:
        supporters = {e["source"] for e in c["corroboration"]["independent"]}
        if c["text"] == LATER:
            assert supporters == {"north-post.txt"}
        else:
            assert "north-post.txt" not in supporters, c


def test_agreeing_figures_are_not_a_dispute(archive: TestClient) -> None:
    body = archive.post(
        "/ask", json={"question": "How many stalls took part in the Velmora harvest market?"}
    ).json()
    assert not body["refused"], body
    assert "disputed" in body and body["disputed"] is False
    assert "conflicts" not in body and "differ" not in body["answer"]


def test_the_stream_and_chat_completions_carry_the_dispute(archive: TestClient) -> None:
    want = archive.post("/ask", json={"question": QUESTION}).json()
    with archive.stream("POST", "/ask/stream", json={"question": QUESTION}) as r:
        text = "".join(r.iter_text())
    final = json.loads(re.search(r"event: final\r?\ndata: (.*)\r?\n", text).group(1))  # type: ignore[union-attr]
    deltas = "".join(
        json.loads(d)["text"] for d in re.findall(r"event: delta\r?\ndata: (.*)\r?\n", text)
    )
    assert (final["disputed"], final["conflicts"]) == (True, want["conflicts"])
    assert deltas == final["answer"] == want["answer"]
    chat = archive.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]}
    ).json()
    assert chat["disputed"] is True and chat["conflicts"] == want["conflicts"]
    assert chat["choices"][0]["message"]["content"] == want["answer"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (FIRST, [("at least 12", ("killed",))]),
        ("The collapse left 9 dead and 30 injured.", [("9", ("killed",)), ("30", ("injured",))]),
        ("More than 1,200 residents were evacuated.", [("more than 1,200", ("resid", "evacu"))]),
        ("It was the worst fire since 1998, on 3 December.", []),  # a year, a day
        ("One of the ferries left at 10:30.", []),  # a partition, a time
        ("A five-hour meeting with 3 envoys.", [("3", ("envoy",))]),
        ("A success rate of 87% overall.", [("87%", ("%", "rate"))]),  # a share of the rate
        ("A success rate of 78 percent.", [("78 percent", ("%", "rate"))]),
        ("Drives of up to 80TB, 1.43°C warmer.", [("up to 80TB", ("tb",)), ("1.43°C", ("°c",))]),
        ("The vote closes at 3pm; he came 2nd.", []),  # a time, an ordinal
    ],
)
def test_figures_and_what_they_count(text: str, found: list[tuple[str, tuple[str, ...]]]) -> None:
    assert [(m.written, m.quantity) for m in mentions(text)] == found


def test_sentences_that_disagree_on_a_figure() -> None:
    assert disagree(FIRST, LATER) and disagree(AGREES, LATER)
    assert not disagree(FIRST, AGREES)
    assert not disagree(FIRST, "The fire left 30 people injured.")  # another quantity


def test_intervals_meet_or_not() -> None:
    (at_least_12,) = mentions("At least 12 people were killed.")
    (nine,) = mentions("Nine people were killed.")
    (twelve,) = mentions("12 people were killed.")
    (more_than_12,) = mentions("More than 12 people were killed.")
    assert not at_least_12.compatible(nine)
    assert at_least_12.compatible(twelve)
    assert not more_than_12.compatible(twelve)


def test_a_claim_and_its_denial_are_a_conflict_citing_both(archive: TestClient) -> None:
    body = archive.post(
        "/ask",
        json={"question": "Did the port company cut the night shift pay of its crane operators?"},
    ).json()
    assert body["disputed"] is True, body["answer"]
    (conflict,) = body["conflicts"]
    assert conflict["kind"] == "denial"
    by_id = {c["id"]: c for c in body["citations"]}
    said, denied = (by_id[side["citation"]] for side in conflict["sides"])
    assert "union said" in said["text"] and "denied" in denied["text"]
    assert "The sources disagree:" in body["answer"] and "denies it" in body["answer"]


def test_rejecting_what_no_sentence_states_is_no_conflict(archive: TestClient) -> None:
    body = archive.post(
        "/ask", json={"question": "What did the mayor of Tarvik say about the ring road?"}
    ).json()
    assert not body["refused"], body
    assert body["disputed"] is False and "conflicts" not in body, body["answer"]
