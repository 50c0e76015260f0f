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


@pytest.mark.parametrize("cap", [3, 20])
def test_a_syndicated_sentence_is_one_claim_with_at_most_the_configured_sources(
    tmp_path: Path, cap: int
) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    for i, local in enumerate(LOCAL):  # six sites carry the same wire sentence
        (articles / f"site_{i}.txt").write_text(f"Local news {i}\n\n{local} {WIRE}\n")
    settings = make_settings(tmp_path / "data", answer={"max_sources_per_claim": cap})
    make_ingester(settings).ingest_paths(sorted(articles.glob("*.txt")))
    with TestClient(create_app(settings)) as client:
        body = client.post(
            "/ask",
            json={"question": "What did the harbour authority of Velmora say about the pier?"},
        )
    assert body.status_code == 200, body.text
    answer = body.json()
    wire = [c for c in answer["citations"] if c["text"] == WIRE]
    assert answer["answer"].count(WIRE) == 1  # stated once
    assert len({c["source"] for c in wire}) == len(wire)  # one citation per file
    assert len(wire) == min(cap, len(LOCAL))
