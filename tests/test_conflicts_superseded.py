"""An earlier report superseded by a later one, without a figure (issue 26 §3): the answer
says so and cites both, the earlier first, each with its date, through the real app and
index.

The hand-made archive: a mayor's arrest, and another outlet's report two days later that
she was released; a bridge closure and the same site's corrected version; an article that
tells a detention and the release itself, and its copy a day later; one article that
tells a festival's plan and its cancellation; and two reports of different days that
share status words about different things. A second archive holds two independent
reversals of one day's news (a ferry service suspended then resumed, its captain detained
then released), each told by another outlet, and copies of both the earlier and a later
report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.answering import superseded
from service.answering.base import Answer
from service.answering.conflicts import mark_conflicts
from service.answering.superseded import REVERSALS, reverses
from service.app import create_app
from service.container import Container
from service.retrieval.hybrid import Retrieval
from tests.conftest import Archive, article_text, indexed_archive, served_archive

ARRESTED = "Police arrested Ana Kos, the mayor of Velmora, on Tuesday over missing council funds."
RELEASED = "Ana Kos, the mayor of Velmora, was released without charge on Thursday, police said."
CLOSES = "The Harlow bridge will close to traffic on Monday for repairs to its deck."
CORRECTED = (
    "Correction: an earlier version of this article said the Harlow bridge would close to "
    "traffic on Monday; it closes on Wednesday."
)
DETAINED = "Customs officers detained the harbour master of Tarvik, Ivo Ren, on Monday."
LET_GO = "Ivo Ren, the harbour master of Tarvik, was released on bail on Tuesday."
FESTIVAL = [
    "The Velmora jazz festival will take place in the old harbour on Saturday.",
    "Organisers later said the Velmora jazz festival was cancelled because of the storm.",
    "Tickets will be refunded within a month.",
]
ARCHIVE: Archive = {
    "velmora-post.txt": (
        [
            ARRESTED,
            "The council's auditors found that 2 million euros had left its accounts.",
            "Her deputy will run the town hall in the meantime.",
        ],
        "https://velmora-post.example/mayor-arrest",
        "2025-04-01",
    ),
    "north-courier.txt": (
        [
            RELEASED,
            "Prosecutors said the investigation into the council's accounts continues.",
            "She thanked her supporters outside the police station.",
        ],
        "https://north-courier.example/kos-released",
        "2025-04-03",
    ),
    "harlow-news.txt": (
        [CLOSES, "Buses will use the ring road while the bridge is shut.", "Work lasts a week."],
        "https://harlow-news.example/bridge",
        "2025-05-02",
    ),
    "harlow-news-updated.txt": (
        [
            "Repairs to the deck of the Harlow bridge start next week.",
            "Buses will use the ring road while the bridge is shut.",
            CORRECTED,
        ],
        "https://harlow-news.example/bridge?updated",
        "2025-05-03",
    ),
    "tarvik-times.txt": (
        [DETAINED, LET_GO, "The port authority said ferries were running as usual."],
        "https://tarvik-times.example/harbour-master",
        "2025-06-01",
    ),
    "coast-wire.txt": (
        [DETAINED, LET_GO, "The port authority said ferries were running as usual."],
        "https://coast-wire.example/harbour-master",
        "2025-06-02",
    ),
    "festival.txt": (FESTIVAL, "https://city-pages.example/festival", "2025-07-01"),
    "zoo.txt": (
        [
            "A sea eagle was released into the wild from the Velmora zoo on Friday.",
            "Keepers had nursed the bird for three months.",
        ],
        "https://city-pages.example/eagle",
        "2025-04-04",
    ),
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from served_archive(
        tmp_path_factory, "superseded", ARCHIVE, lambda s: article_text("Local news", s)
    )


def ask(client: TestClient, question: str) -> dict[str, object]:
    body: dict[str, object] = client.post("/ask", json={"question": question}).json()
    assert not body["refused"], body
    return body


def test_a_reversed_status_is_said_and_both_reports_cited_earlier_first(
    archive: TestClient,
) -> None:
    body = ask(archive, "Was Ana Kos, the mayor of Velmora, arrested?")
    assert body["disputed"] is True, body["answer"]
    (conflict,) = body["conflicts"]  # type: ignore[misc]
    assert conflict["kind"] == "superseded" and conflict["quantity"] is None
    by_id = {c["id"]: c for c in body["citations"]}  # type: ignore[attr-defined]
    earlier, later = conflict["sides"]
    assert (earlier["report"], later["report"]) == ("earlier", "later")
    assert by_id[earlier["citation"]]["text"] == ARRESTED
    assert by_id[later["citation"]]["text"] == RELEASED
    assert [(r["source"], r["date"]) for r in later["reports"]] == [
        ("north-courier.txt", "2025-04-03")
    ]
    assert (
        f"A later report supersedes an earlier one: [{earlier['citation']}] (reported 1 April "
        f"2025), then [{later['citation']}] (reported 3 April 2025)."
    ) in str(body["answer"])


def test_a_correction_in_a_later_version_supersedes_the_earlier_claim(
    archive: TestClient,
) -> None:
    body = ask(archive, "When will the Harlow bridge close to traffic?")
    assert body["disputed"] is True, body["answer"]
    (conflict,) = body["conflicts"]  # type: ignore[misc]
    by_id = {c["id"]: c for c in body["citations"]}  # type: ignore[attr-defined]
    earlier, later = conflict["sides"]
    assert conflict["kind"] == "superseded"
    assert (by_id[earlier["citation"]]["text"], by_id[later["citation"]]["text"]) == (
        CLOSES,
        CORRECTED,
    )
    assert later["reports"][0]["date"] == "2025-05-03"


def test_one_article_telling_both_and_its_copy_dispute_nothing(archive: TestClient) -> None:
    body = ask(archive, "Was the harbour master of Tarvik, Ivo Ren, detained?")
    assert body["disputed"] is False and "conflicts" not in body, body["answer"]
    body = ask(archive, "Was the Velmora jazz festival cancelled?")
    assert body["disputed"] is False and "conflicts" not in body, body["answer"]


def test_status_words_about_different_things_are_no_conflict(archive: TestClient) -> None:
    body = ask(archive, "What was released from the Velmora zoo?")
    assert body["disputed"] is False and "conflicts" not in body, body["answer"]


@pytest.mark.parametrize(
    ("earlier", "later", "reverses"),
    [
        ("He was arrested on Monday.", "He was released on Tuesday.", True),
        ("Two climbers are missing.", "The two climbers were found alive.", True),
        ("The museum opened in May.", "The museum has closed.", True),
        ("The summit will go ahead.", "The summit was called off.", True),
        ("Flights were suspended.", "Flights resumed on Friday.", True),
        ("She was appointed minister.", "She resigned as minister.", True),
        ("The study found a link.", "The study was released.", False),  # no earlier status
        ("An open letter was signed.", "The letter was closed.", False),  # "open" alone
    ],
)
def test_status_reversals(earlier: str, later: str, reverses: bool) -> None:
    assert any(e.search(earlier) and lt.search(later) for e, lt in REVERSALS) is reverses


def test_a_status_and_its_reversal_never_support_each_other(archive: TestClient) -> None:
    """The release is not corroboration of the arrest, nor one claim with it."""
    body = ask(archive, "Was Ana Kos, the mayor of Velmora, arrested?")
    by_text = {c["text"]: c for c in body["citations"]}  # type: ignore[attr-defined]
    supporters = {e["source"] for e in by_text[ARRESTED]["corroboration"]["independent"]}
    assert "north-courier.txt" not in supporters
    assert reverses(ARRESTED, RELEASED) and reverses(RELEASED, ARRESTED)
    assert not reverses(ARRESTED, ARRESTED) and not reverses(LET_GO, DETAINED + " " + LET_GO)


SUSPENDED = (
    "The Dunmore ferry service to Isle Pell was suspended on Monday after a storm damaged the pier."
)
RESUMED = "The Dunmore ferry service to Isle Pell resumed on Thursday after repairs to the pier."
DETAINED_CAPTAIN = "Police detained Tom Brand, the captain of the Dunmore ferry, on Monday."
RELEASED_CAPTAIN = "Tom Brand, the captain of the Dunmore ferry, was released without charge."
GAZETTE = [
    SUSPENDED,
    DETAINED_CAPTAIN,
    "Islanders crossed to the mainland on fishing boats instead.",
]
PELL_NEWS = [
    RESUMED,
    "The first crossing left the harbour at seven with forty passengers.",
    "The pier's owners said the repairs had cost more than expected.",
]
TWO_REVERSALS: Archive = {
    "dunmore-gazette.txt": (GAZETTE, "https://dunmore-gazette.example/storm", "2025-08-04"),
    "dunmore-gazette-reprint.txt": (  # a copy of the earlier report, a day later
        GAZETTE,
        "https://regional-wire.example/dunmore-storm",
        "2025-08-05",
    ),
    "pell-news.txt": (PELL_NEWS, "https://pell-news.example/ferry-back", "2025-08-07"),
    "pell-news-reprint.txt": (  # a copy of a later report
        PELL_NEWS,
        "https://regional-wire.example/pell-ferry",
        "2025-08-08",
    ),
    "coast-radio.txt": (
        [
            RELEASED_CAPTAIN,
            "Investigators said the storm, not the crew, caused the damage to the pier.",
            "Brand is expected back at work next week.",
        ],
        "https://coast-radio.example/brand",
        "2025-08-06",
    ),
}


@pytest.fixture(scope="module")
def two_reversals(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = indexed_archive(
        tmp_path_factory, "two-reversals", TWO_REVERSALS, lambda s: article_text("Ferry", s)
    )
    with TestClient(create_app(settings)) as client:
        yield client


def marked(client: TestClient, question: str, leaving_out: str = "") -> Answer:
    """``mark_conflicts`` on an answer citing nothing, with every sentence of the archive
    but those of text ``leaving_out`` as evidence (the reader's probability 1 for each):
    the rule alone, whatever a question retrieves."""
    container: Container = client.app.state.container  # type: ignore[attr-defined]
    retrieval = container.retriever().retrieve(question)
    read = [p for p, s in enumerate(retrieval.snapshot.sentences) if s.text != leaving_out]
    everything: Retrieval = replace(retrieval, reading=dict.fromkeys(read, 1.0))
    result, _ = mark_conflicts(Answer("", False, [], "extractive"), everything)
    return result


def sides(conflict: dict[str, object]) -> list[dict[str, Any]]:
    found: Any = conflict["sides"]
    return list(found)


def test_two_independent_reversals_in_one_evidence_set_are_both_said(
    two_reversals: TestClient,
) -> None:
    result = marked(two_reversals, "What happened to the Dunmore ferry?")
    assert result.disputed is True
    assert [c["kind"] for c in result.conflicts] == ["superseded", "superseded"]
    by_id = {c.id: c.text for c in result.citations}
    pairs = {tuple(by_id[side["citation"]] for side in sides(c)) for c in result.conflicts}
    assert pairs == {(SUSPENDED, RESUMED), (DETAINED_CAPTAIN, RELEASED_CAPTAIN)}
    assert result.answer.count("A later report supersedes an earlier one:") == 2


def test_copies_of_either_report_join_its_side_and_are_not_said_again(
    two_reversals: TestClient,
) -> None:
    """The reprint of the earlier report and of the later one tell the same reversal: they
    are listed among its side's reports and cited as their original, never a third pair."""
    result = marked(two_reversals, "What happened to the Dunmore ferry?")
    by_later = {sides(c)[1]["reports"][0]["source"]: sides(c) for c in result.conflicts}
    earlier, later = by_later["pell-news.txt"]
    assert [r["source"] for r in earlier["reports"]] == [
        "dunmore-gazette.txt",
        "dunmore-gazette-reprint.txt",
    ]
    assert [r["source"] for r in later["reports"]] == ["pell-news.txt", "pell-news-reprint.txt"]
    earlier, later = by_later["coast-radio.txt"]
    assert [r["source"] for r in earlier["reports"]] == [
        "dunmore-gazette.txt",
        "dunmore-gazette-reprint.txt",
    ]
    assert {c.source for c in result.citations} == {
        "dunmore-gazette.txt",
        "pell-news.txt",
        "coast-radio.txt",
    }
    assert len(result.citations) == 4  # each side's first report, once


def test_a_reversal_and_a_correction_in_one_evidence_set_are_both_said(
    archive: TestClient,
) -> None:
    """The correction note is no evidence sentence (it is found in its document), and the
    arrest's reversal is found beside it: two conflicts."""
    result = marked(archive, "What happened in Velmora and Harlow?", leaving_out=CORRECTED)
    by_id = {c.id: c.text for c in result.citations}
    pairs = {tuple(by_id[side["citation"]] for side in sides(c)) for c in result.conflicts}
    assert pairs == {(ARRESTED, RELEASED), (CLOSES, CORRECTED)}


def test_no_more_reversals_are_said_than_the_cap(
    two_reversals: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(superseded, "MAX_SUPERSEDED", 1)
    result = marked(two_reversals, "What happened to the Dunmore ferry?")
    (conflict,) = result.conflicts
    # the earliest earlier report leads (the suspension's sentence comes first on its day)
    assert sides(conflict)[0]["reports"][0]["source"] == "dunmore-gazette.txt"
    assert len(result.citations) == 2


def test_two_reversals_asked_through_the_api(two_reversals: TestClient) -> None:
    body = ask(two_reversals, "What happened to the Dunmore ferry service and its captain?")
    assert body["disputed"] is True, body["answer"]
    kinds = [c["kind"] for c in body["conflicts"]]  # type: ignore[attr-defined]
    assert kinds == ["superseded", "superseded"], body["answer"]
