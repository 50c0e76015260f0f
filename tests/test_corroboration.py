"""Answers that count sources honestly (issue 26 §2), through the real app and index.

The hand-made archive below has a known right answer: an observatory's report (the
original, the earliest date, named to sort LAST so that a composer citing by position
would pick a copy), its verbatim copy on another site, its edited update (four sentences
rewritten, not the asked one), another story that quotes the asked sentence word for word,
and an unrelated article. The asked sentence must be cited once, naming the original,
with the copy and the update in ``also_carried_by``; its corroboration counts two
clusters (the story, and the article quoting it), three sites and four documents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.answering.base import Citation
from service.answering.citations import CitationBook
from service.answering.corroboration import claim_groups
from service.index.corpus import CorpusSnapshot
from service.retrieval.evidence import SentenceRef
from tests.conftest import article_text, served_archive

ASKED = (
    "The observatory's director, Paula Renn, said the telescope would stay offline for at "
    "least four months while the mirror is recoated."
)
ORIGINAL = [
    "The Lindgren Observatory shut down its main telescope on Monday after engineers found "
    "a crack in the support frame of its primary mirror.",
    "Night sessions booked by visiting astronomers were moved to the smaller east dome.",
    ASKED,
    "Engineers from the university's workshop will measure the frame before ordering parts.",
    "School visits to the visitor centre continue as planned, the observatory said.",
    "The telescope was installed in 1978 and last overhauled nine years ago.",
    "Researchers fear the closure will delay a survey of nearby comets due in the spring.",
    "The university board called a special meeting for Thursday afternoon.",
    "A spokesman for the regional science fund said it would cover part of the repairs.",
    "Visitors were asked to check the observatory's website before travelling.",
    "The observatory has set aside three hundred thousand euros for urgent works.",
    "Engineers will return on Friday to inspect the mirror's coating.",
]
REWRITTEN = {  # the update: 4 of 12 rewritten, the asked sentence (index 2) unchanged
    1: "Night sessions booked by visiting astronomers now take place in the east dome.",
    7: "The university board met on Thursday afternoon and approved an emergency budget.",
    8: "The regional science fund confirmed on Wednesday that it will pay half the repairs.",
    11: "Engineers returned on Friday and found the mirror's coating worn in two places.",
}
UPDATE = [REWRITTEN.get(i, s) for i, s in enumerate(ORIGINAL)]
ROUNDUP = [  # another story, quoting the asked sentence word for word
    "Science news from around the region this week.",
    "A new planetarium show about the northern lights opens in the city museum on Saturday.",
    ASKED,
    "The botanical garden reported its first spring flowers two weeks early.",
    "A lecture series on climate and oceans begins at the library next month.",
]
UNRELATED = [
    "The regional choir rehearsed for its winter concert in the cathedral on Friday.",
    "Its conductor said the programme mixes old carols with two new pieces.",
    "Tickets for the three evenings sold out within an hour.",
    "The choir was founded in 1921 by a group of railway workers.",
    "Rehearsals continue every evening until the first concert.",
]
ORIGINAL_SOURCE = "zz-observatory.txt"  # the earliest, sorted last
COPY, UPDATED, QUOTING = "a-telescope-wire.txt", "b-telescope-update.txt", "m-science-week.txt"
ARCHIVE = {  # source: (sentences, url, date)
    ORIGINAL_SOURCE: (ORIGINAL, "https://sky-desk.example/telescope", "2025-02-10"),
    COPY: (ORIGINAL, "https://valley-herald.example/wire/telescope", "2025-02-11"),
    UPDATED: (UPDATE, "https://sky-desk.example/telescope-update", "2025-02-12"),
    QUOTING: (ROUNDUP, "https://city-science.example/week", "2025-02-13"),
    "n-choir.txt": (UNRELATED, "https://city-pages.example/choir", "2025-02-10"),
}
QUESTION = "How long will the Lindgren Observatory's telescope stay offline?"


def text_of(sentences: list[str]) -> bytes:
    return article_text("Observatory news", sentences)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from served_archive(tmp_path_factory, "corroboration", ARCHIVE, text_of)


def snapshot(client: TestClient) -> CorpusSnapshot:
    return client.app.state.container.state().snapshot()  # type: ignore[attr-defined,no-any-return]


def asked_citations(body: dict) -> list[dict]:  # type: ignore[type-arg]
    return [c for c in body["citations"] if c["text"] == ASKED]


def test_the_original_is_cited_and_its_copies_listed_in_one_citation(
    archive: TestClient,
) -> None:
    body = archive.post("/ask", json={"question": QUESTION}).json()
    assert not body["refused"], body
    cited = asked_citations(body)
    # one citation for the story (the original), one for the other story quoting it
    assert sorted(c["source"] for c in cited) == sorted([ORIGINAL_SOURCE, QUOTING]), cited
    # the copy carries nothing the original does not: never cited; the update only for
    # a sentence it rewrote
    assert all(c["source"] != COPY for c in body["citations"])
    assert all(c["text"] in REWRITTEN.values() for c in body["citations"] if c["source"] == UPDATED)
    story = next(c for c in cited if c["source"] == ORIGINAL_SOURCE)
    assert story["date"] == "2025-02-10" and story["verified"] is True
    copies = story["also_carried_by"]
    assert [(k["source"], k["date"], k["site"]) for k in copies] == [
        (COPY, "2025-02-11", "valley-herald.example"),
        (UPDATED, "2025-02-12", "sky-desk.example"),
    ]
    for k in copies:
        assert k["verified"] is True
        truth = archive.get(f"/sources/{k['source']}/sentences/{k['sentence']}").json()
        assert truth["text"] == ASKED
        assert k["link"].startswith(ARCHIVE[k["source"]][1] + "#:~:text=")
    # the quoting story is another story: its own citation, no copies of it
    assert next(c for c in cited if c["source"] == QUOTING)["also_carried_by"] == []


def test_corroboration_counts_clusters_sites_and_documents(archive: TestClient) -> None:
    body = archive.post("/ask", json={"question": QUESTION}).json()
    story = next(c for c in asked_citations(body) if c["source"] == ORIGINAL_SOURCE)
    count = story["corroboration"]
    assert (count["clusters"], count["sites"], count["documents"]) == (2, 3, 4), count
    assert [e["source"] for e in count["independent"]] == [ORIGINAL_SOURCE, QUOTING]
    assert count["independent"][0]["date"] == "2025-02-10"


def test_a_filter_keeps_the_copies_it_does_not_admit_out(archive: TestClient) -> None:
    """Asked of the copy's site only, the copy is what is cited: the original is not
    among the documents the request admits, and nothing outside it is counted."""
    body = archive.post(
        "/ask", json={"question": QUESTION, "sites": ["valley-herald.example"]}
    ).json()
    assert not body["refused"], body
    cited = asked_citations(body)
    assert [c["source"] for c in cited] == [COPY]
    assert cited[0]["also_carried_by"] == []
    count = cited[0]["corroboration"]
    assert (count["clusters"], count["sites"], count["documents"]) == (1, 1, 1)


def test_stream_and_chat_completions_carry_the_same_citations(archive: TestClient) -> None:
    want = archive.post("/ask", json={"question": QUESTION}).json()["citations"]
    assert any(c["also_carried_by"] for c in want)
    with archive.stream("POST", "/ask/stream", json={"question": QUESTION}) as r:
        text = "".join(r.iter_text())
    final = re.search(r"event: final\r?\ndata: (.*)\r?\n", text)
    assert final, text
    assert json.loads(final.group(1))["citations"] == want
    messages = [{"role": "user", "content": QUESTION}]
    chat = archive.post("/v1/chat/completions", json={"model": "newsqa", "messages": messages})
    assert chat.status_code == 200, chat.text
    assert chat.json()["citations"] == want
    with archive.stream(
        "POST", "/v1/chat/completions", json={"messages": messages, "stream": True}
    ) as r:
        chunks = [json.loads(line[5:]) for line in r.iter_lines() if line.startswith("data: {")]
    assert chunks[-1]["citations"] == want


def test_the_llm_modes_citation_book_folds_copies_too(archive: TestClient) -> None:
    snap = snapshot(archive)

    def ref(source: str) -> SentenceRef:
        s = next(s for s in snap.of_document(source) if s.text == ASKED)
        return SentenceRef(source, s.number, s.text)

    book = CitationBook(snapshot=snap)
    assert book.cite_claim([ref(COPY), ref(UPDATED), ref(ORIGINAL_SOURCE)]) == [1]
    assert book.cite_claim([ref(QUOTING), ref(COPY)]) == [2, 1]
    first, second = book.citations
    assert first.source == ORIGINAL_SOURCE
    assert [k.source for k in first.also_carried_by] == [COPY, UPDATED]
    assert second.source == QUOTING and second.also_carried_by == ()


def test_claims_are_the_runs_of_markers() -> None:
    cites = [Citation(i, f"s{i}.txt", 1, "t") for i in (1, 2, 3, 4)]
    groups = claim_groups("One “quoted.” [1][2] Two, said “he.” [3] (as of 1 May 2025)", cites)
    assert [[c.id for c in g] for g in groups] == [[1, 2], [3], [4]]


# -- the seed articles: five outlets' own reports, not copies -------------------------


def test_ushakovs_words_are_corroborated_by_the_outlets_that_report_them(
    client: TestClient,
) -> None:
    """Acceptance (issue 26): 'What did Ushakov say?' counts the outlets reporting his
    words as independent sources, and never one that does not name him."""
    reporting = {
        s["source"]
        for s in client.get("/sources").json()["sources"]
        if any(
            "Ushakov" in t["text"]
            for t in client.get(f"/sources/{s['source']}").json()["sentences"]
        )
    }
    assert 2 <= len(reporting) < 5  # one outlet does not name him
    body = client.post("/ask", json={"question": "What did Ushakov say?"}).json()
    assert not body["refused"], body
    ushakov = [c for c in body["citations"] if "Ushakov" in c["text"]]
    assert ushakov, body
    for c in ushakov:
        count = c["corroboration"]
        sources = [e["source"] for e in count["independent"]]
        assert count["clusters"] >= 2, c
        assert count["clusters"] == len(sources) == len(set(sources))
        assert set(sources) <= reporting, (sources, reporting)
        assert c["also_carried_by"] == []  # no outlet copied another
