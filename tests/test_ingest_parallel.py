"""The bulk ingest's parallel stages give the same index as parsing in place."""

from __future__ import annotations

import time
from pathlib import Path

import pysbd
import pytest

from service.index.corpus import CorpusSnapshot
from service.index.store import DocumentWrite, IndexStore
from service.language.sentences import _Segmenter
from tests.conftest import CORPUS, make_ingester, make_settings


def test_span_finder_gives_pysbds_own_spans() -> None:
    texts = [p for f in sorted(CORPUS.glob("*.txt")) for p in f.read_text().split("\n\n")]
    texts += [
        "He said no. He said no.  Then he left.\tShe said no. He said no.",
        "Mr. Smith went to Washington D.C. on Jan. 5.   It rained. It rained.",
        "“Quoted.” Next one! And a third?  ",
    ]
    ours = _Segmenter(language="en", clean=False, char_span=True)
    theirs = pysbd.Segmenter(language="en", clean=False, char_span=True)
    for text in texts:
        got = [(s.sent, s.start, s.end) for s in ours.segment(text)]
        assert got == [(s.sent, s.start, s.end) for s in theirs.segment(text)], text[:80]


def _rows(data_dir: Path, workers: int, files: list[Path]) -> list[tuple[object, ...]]:
    settings = make_settings(data_dir, ingest={"embed_group": 1, "parse_workers": workers})
    ingester = make_ingester(settings)
    summary = ingester.ingest_paths(files)
    assert summary.count("failed") == 1 and summary.count("added") == len(files) - 1
    snap = CorpusSnapshot.build(ingester.store, 80.0)
    return [(s.source, s.number, s.text, s.start, s.end, s.paragraph) for s in snap.sentences]


def test_parsing_in_worker_processes_indexes_the_same_sentences(tmp_path: Path) -> None:
    bad = tmp_path / "empty.txt"
    bad.write_text("\n\n")
    files = sorted(CORPUS.glob("*.txt"))
    files = [*files[:2], bad, *files[2:]]  # one bad file among groups of one document
    pooled = _rows(tmp_path / "pooled", 2, files)
    in_place = _rows(tmp_path / "in-place", 1, files)
    assert pooled == in_place
    assert len({r[0] for r in pooled}) == len(files) - 1


def test_groups_embedded_during_a_slow_write_are_written_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a write runs, the groups embedded meanwhile gather into the next write (up
    to ingest.write_group documents), never with the same name twice in one write; the
    index is the same as with a write per group. The slow write is a stand-in (a real
    Chroma write is slow only at scale)."""
    twin = tmp_path / "twin"
    twin.mkdir()
    files = sorted(CORPUS.glob("*.txt"))
    (twin / files[1].name).write_text("A second file of the same name.\nIt wins, being later.\n")
    files = [*files, twin / files[1].name]
    settings = make_settings(tmp_path / "data", ingest={"embed_group": 1, "write_group": 3})
    ingester = make_ingester(settings)
    writes: list[list[str]] = []
    real_write = IndexStore.write_documents

    def slow_write(store: IndexStore, docs: list[DocumentWrite]) -> None:
        writes.append([d.source for d in docs])
        time.sleep(0.5)
        real_write(store, docs)

    monkeypatch.setattr(IndexStore, "write_documents", slow_write)
    summary = ingester.ingest_paths(files)
    assert summary.count("added") == 6  # (the manifest as the run found it)
    assert len(writes) < len(files) and max(len(w) for w in writes) <= 3
    assert all(len(set(w)) == len(w) for w in writes)
    assert [s for w in writes for s in w] == [f.name for f in files]
    snap = CorpusSnapshot.build(ingester.store, 80.0)
    assert snap.of_document(files[1].name)[0].text == "A second file of the same name."
    assert len(snap.documents) == 5
