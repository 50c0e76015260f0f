"""A wire story carried by many sites: one claim with a few of its sources, not a citation
for every copy (found at 27k synthetic articles, where one answer cited 18 copies)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import make_ingester, make_settings

WIRE = (
    "The harbour authority of Velmora said on Monday that the northern pier will stay "
    "closed for repairs until the end of September."
)
LOCAL = [
    "Fishermen in the old town complained about the noise of the night trains.",
    "A new bakery opened on the market square with a queue around the corner.",
    "The regional choir rehearsed for its winter concert in the cathedral.",
    "Students painted a mural of migrating cranes on the library wall.",
    "The cycling club repaired the footbridge over the mill stream.",
    "A storm knocked down two old chestnut trees near the railway station.",
]


QUESTION = "What did the harbour authority of Velmora say about the pier?"


def ask(tmp_path: Path, articles: dict[str, str], **answer: object) -> dict:  # type: ignore[type-arg]
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in articles.items():
        (folder / name).write_text(text)
    settings = make_settings(tmp_path / "data", answer=answer)
    make_ingester(settings).ingest_paths(sorted(folder.glob("*.txt")))
    with TestClient(create_app(settings)) as client:
        body = client.post("/ask", json={"question": QUESTION})
    assert body.status_code == 200, body.text
    return body.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("cap", [3, 20])
def test_a_syndicated_sentence_is_one_claim_with_at_most_the_configured_sources(
    tmp_path: Path, cap: int
) -> None:
    """Six sites' own articles (each mostly its own local news: six story clusters)
    that all carry the wire sentence."""
    others = [
        f"Site {i} editors picked the photo of week {i}. Readers of site {i} chose bench "
        f"number {i} as the best. The site {i} quiz had {i + 10} winners."
        for i in range(6)
    ]
    answer = ask(
        tmp_path,
        {
            f"site_{i}.txt": f"Local news {i}\n\n{local} {WIRE}\n\nSite {i}: {others[i]}\n"
            for i, local in enumerate(LOCAL)
        },
        max_sources_per_claim=cap,
    )
    wire = [c for c in answer["citations"] if c["text"] == WIRE]
    assert answer["answer"].count(WIRE) == 1  # stated once
    assert len({c["source"] for c in wire}) == len(wire)  # one citation per file
    assert len(wire) == min(cap, len(LOCAL))
    assert all(c["corroboration"]["clusters"] == len(LOCAL) for c in wire)


@pytest.mark.parametrize("listed", [3, 20])
def test_copies_of_a_wire_story_are_one_citation_listing_the_others(
    tmp_path: Path, listed: int
) -> None:
    """Six short copies (a local line and the wire sentence: one story cluster) are one
    citation, the original's, with the others in ``also_carried_by``."""
    answer = ask(
        tmp_path,
        {f"site_{i}.txt": f"Local news {i}\n\n{local} {WIRE}\n" for i, local in enumerate(LOCAL)},
        max_copies_listed=listed,
    )
    wire = [c for c in answer["citations"] if c["text"] == WIRE]
    assert answer["answer"].count(WIRE) == 1
    assert [c["source"] for c in wire] == ["site_0.txt"]  # undated: the first by name
    (cited,) = wire
    shown = min(listed, len(LOCAL) - 1)
    assert [k["source"] for k in cited["also_carried_by"]] == [
        f"site_{i}.txt" for i in range(1, 1 + shown)
    ]
    assert cited["also_carried_by_count"] == len(LOCAL) - 1
    count = cited["corroboration"]
    assert (count["clusters"], count["documents"]) == (1, len(LOCAL))
