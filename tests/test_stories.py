"""Story clusters (issue 26 §1): copies and versions of one story are one cluster, other
reports of the same event are not; GET /stories, /stories/{id}, /sources/{source}'s
story.

The hand-made archive below has a known right answer: an article, its verbatim copy on
another site, its edited update (4 of its 12 sentences rewritten, a later date), and two
unrelated articles, one of which quotes a sentence of the first word for word."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from bench import stories as stories_bench
from bench import synthetic
from ingest.pipeline import DocumentMeta
from service.app import create_app
from service.index.corpus import CorpusSnapshot
from service.index.store import DocumentEntry
from service.index.stories import Stories, StoryRule, story_id
from service.settings import Settings
from tests.conftest import article_text, make_ingester, make_settings, served_archive

ORIGINAL = [
    "The harbour authority of Velmora closed the northern pier on Monday after divers "
    "found cracks in two of its concrete pillars.",
    "Ships bound for the port were sent to the southern terminal, where cranes worked "
    "through the night to clear the queue.",
    "The authority's director, Ines Marlow, said the pier would stay closed for at least "
    "three weeks.",
    "Engineers from the national roads agency will inspect every pillar before any repair "
    "is planned.",
    "Fishing boats may still moor at the inner quay, which the cracks do not affect.",
    "The pier was built in 1962 and last renovated eleven years ago.",
    "Local traders fear that the closure will cut the number of visitors during the "
    "autumn festival.",
    "The city council called an emergency meeting for Wednesday evening.",
    "A spokesman for the ferry company said timetables would change from Tuesday.",
    "Passengers were asked to check the company's website before travelling.",
    "The authority has set aside two million euros for urgent works this year.",
    "Divers will return on Thursday to measure how deep the cracks run.",
]
REWRITTEN = {  # the update: 4 of 12 sentences rewritten (33 %), the rest unchanged
    2: "The authority's director, Ines Marlow, said on Tuesday that the pier would now stay "
    "closed for at least five weeks.",
    7: "The city council met on Wednesday evening and approved an emergency fund.",
    8: "The ferry company published new timetables that apply from Tuesday.",
    11: "Divers returned on Thursday and found that the cracks run deeper than feared.",
}
UPDATE = [REWRITTEN.get(i, s) for i, s in enumerate(ORIGINAL)]
UNRELATED = [
    "The regional choir rehearsed for its winter concert in the cathedral on Friday.",
    "Its conductor said the programme mixes old carols with two new pieces.",
    "Tickets for the three evenings sold out within an hour.",
    "The choir was founded in 1921 by a group of railway workers.",
    "This year it sings with the youth orchestra of the music school.",
    "Rehearsals continue every evening until the first concert.",
]
QUOTING = [  # another article that quotes one sentence of the original word for word
    "Tourism officials met hotel owners to discuss the autumn festival.",
    ORIGINAL[6],
    "Hotels reported fewer bookings than last year for the festival weekend.",
    "The festival's organisers said the programme would not change.",
    "A new shuttle bus will link the railway station with the old town.",
]
ARCHIVE = {  # source: (sentences, url, date)
    "velmora-pier.txt": (ORIGINAL, "https://harbour-news.example/velmora-pier", "2024-03-04"),
    "wire-copy.txt": (ORIGINAL, "https://coastal-times.example/wire/pier", "2024-03-05"),
    "velmora-pier-update.txt": (UPDATE, "https://harbour-news.example/pier-update", "2024-03-06"),
    "choir.txt": (UNRELATED, "https://city-pages.example/choir", "2024-03-04"),
    "festival.txt": (QUOTING, "https://city-pages.example/festival", "2024-03-05"),
}
RIGHT = [
    {"velmora-pier.txt", "wire-copy.txt", "velmora-pier-update.txt"},
    {"choir.txt"},
    {"festival.txt"},
]


def text_of(sentences: list[str]) -> bytes:
    return article_text("Velmora news", sentences)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from served_archive(tmp_path_factory, "stories", ARCHIVE, text_of)


def clusters(client: TestClient) -> list[set[str]]:
    snap: CorpusSnapshot = client.app.state.container.state().snapshot()  # type: ignore[attr-defined]
    return [set(s.members) for s in snap.stories.ordered()]


def test_copies_and_the_edited_update_are_one_story_and_the_others_alone(
    archive: TestClient,
) -> None:
    found = clusters(archive)
    assert sorted(map(sorted, found)) == sorted(map(sorted, RIGHT))


def test_stories_list_and_detail(archive: TestClient) -> None:
    body = archive.get("/stories").json()
    assert body["total"] == 3
    top = body["stories"][0]
    assert top == {
        "id": story_id("velmora-pier.txt"),
        "original": "velmora-pier.txt",  # the earliest-dated member
        "members": 3,
        "sites": ["coastal-times.example", "harbour-news.example"],
        "first_date": "2024-03-04",
        "last_date": "2024-03-06",
    }
    assert archive.get("/stories", params={"min_members": 2}).json()["total"] == 1
    paged = archive.get("/stories", params={"limit": 1, "offset": 1}).json()
    assert paged["total"] == 3 and [s["members"] for s in paged["stories"]] == [1]

    story = archive.get(f"/stories/{top['id']}").json()
    assert [m["source"] for m in story["members"]] == [
        "velmora-pier.txt",
        "wire-copy.txt",
        "velmora-pier-update.txt",
    ]
    assert story["members"][1]["url"] == "https://coastal-times.example/wire/pier"
    assert len(story["sentences"]) == len(ORIGINAL)
    for i, sentence in enumerate(story["sentences"]):
        carriers = [c["source"] for c in sentence["carried_by"]]
        if i in REWRITTEN:  # rewritten in the update
            assert carriers == ["velmora-pier.txt", "wire-copy.txt"], sentence
        else:
            assert carriers == ["velmora-pier.txt", "wire-copy.txt", "velmora-pier-update.txt"]
    # the quoting article carries sentence 7 too, but is not a member
    assert all(c["source"] != "festival.txt" for c in story["sentences"][6]["carried_by"])


def test_a_source_names_its_story_and_an_unknown_story_is_a_404(archive: TestClient) -> None:
    doc = archive.get("/sources/wire-copy.txt").json()
    assert doc["story"] == story_id("velmora-pier.txt")
    alone = archive.get("/sources/choir.txt").json()["story"]
    assert archive.get(f"/stories/{alone}").json()["members"][0]["source"] == "choir.txt"
    missing = archive.get("/stories/0000000000000000")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


def test_the_seed_articles_are_five_reports_not_copies(client: TestClient) -> None:
    """Acceptance: five outlets' own reports of one event stay five stories."""
    snap = client.app.state.container.state().snapshot()  # type: ignore[attr-defined]
    assert len(snap.documents) == 5
    assert [len(s.members) for s in snap.stories.ordered()] == [1] * 5
    assert client.get("/stories").json()["total"] == 5


def entry(source: str, version: str = "v1", date: str | None = None) -> DocumentEntry:
    return DocumentEntry(source, version, "h", None, date, 0, 0.0)


def test_an_incremental_build_equals_a_full_one() -> None:
    rng = np.random.default_rng(7)
    pool = rng.integers(1, 2**63, 400, dtype=np.uint64)
    keys = {f"d{i:03d}": np.unique(rng.choice(pool, 15, replace=False)) for i in range(150)}
    keys["copy"] = keys["d005"]
    documents = {s: entry(s) for s in keys}
    rule = StoryRule()
    first = Stories.build(documents, keys.__getitem__, rule)
    assert first.story_of("copy") == first.story_of("d005")
    # d005 changes into a copy of d010; d020 goes; a new copy of d030 comes
    keys = dict(keys)
    keys["d005"] = keys["d010"]
    del keys["d020"]
    keys["late"] = keys["d030"]
    changed = {s: entry(s, "v2" if s == "d005" else "v1") for s in keys}
    again = Stories.build(changed, keys.__getitem__, rule, first)
    full = Stories.build(changed, keys.__getitem__, rule)
    assert again.by_id == full.by_id
    assert set(again.story_of("d010").members) == {"d005", "d010"}  # type: ignore[union-attr]
    assert again.story_of("copy").members == ("copy",)  # type: ignore[union-attr]
    assert "d020" not in again.of_source


def test_the_original_is_the_earliest_dated_then_by_source() -> None:
    keys = {s: np.arange(1, 11, dtype=np.uint64) for s in ("b", "a", "c", "d")}
    dates = {"a": None, "b": "2024-05-02", "c": "2024-05-01", "d": "2024-05-01"}
    stories = Stories.build(
        {s: entry(s, date=d) for s, d in dates.items()}, keys.__getitem__, StoryRule()
    )
    (story,) = stories.by_id.values()
    assert story.members == ("c", "d", "b", "a")  # undated last
    assert story.id == story_id("c")
    off = Stories.build({s: entry(s) for s in keys}, keys.__getitem__, StoryRule(enabled=False))
    assert len(off.by_id) == 4


def test_stories_follow_a_change_to_the_index(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    ingester = make_ingester(settings)
    sentences, url, date = ARCHIVE["velmora-pier.txt"]
    ingester.ingest_bytes("velmora-pier.txt", text_of(sentences), DocumentMeta(url=url, date=date))
    with TestClient(create_app(settings)) as client:
        assert client.get("/stories").json()["total"] == 1
        ingester.ingest_bytes("copy.txt", text_of(sentences), DocumentMeta(date="2024-01-01"))
        snap = client.app.state.container.state().snapshot(force=True)  # type: ignore[attr-defined]
        (story,) = snap.stories.by_id.values()
        assert story.original == "copy.txt"  # now the earliest
        assert client.get(f"/stories/{story_id('copy.txt')}").status_code == 200


def test_a_wire_story_carried_by_many_sites_is_one_story() -> None:
    rng = np.random.default_rng(3)
    pool = rng.integers(1, 2**63, 2000, dtype=np.uint64)
    wire = np.unique(rng.choice(pool, 20, replace=False))
    keys = {f"site{i:03d}": wire for i in range(300)}  # one bucket of 300 in every band
    keys |= {f"other{i:03d}": np.unique(rng.choice(pool, 20, replace=False)) for i in range(50)}
    stories = Stories.build({s: entry(s) for s in keys}, keys.__getitem__, StoryRule())
    assert sorted(len(s.members) for s in stories.by_id.values())[-2:] == [1, 300]


@pytest.mark.skipif(not synthetic.PAGES.is_dir(), reason="the HTML benchmark's pages are absent")
def test_the_hand_made_archive_of_benchmark_pages_clusters_right() -> None:
    """Pages, and for every fourth its copy, a chrome copy and a 30 % rewritten update:
    the default threshold finds every story and merges none."""
    sets, truth = stories_bench.hand_made_archive(stories_bench.page_sentences())
    rule = StoryRule(threshold=Settings().stories.threshold)
    found = Stories.build({s: entry(s) for s in sets}, sets.__getitem__, rule)
    assert stories_bench.scores(found, truth) == (1.0, 1.0)
    assert len(found.by_id) == len(set(truth.values()))
