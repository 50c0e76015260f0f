"""The bulk ingest's parallel stages give the same index as parsing in place."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pysbd
import pytest

from service.components import split_cache
from service.components.split_cache import SplitCache
from service.index.corpus import CorpusSnapshot
from service.index.store import DocumentWrite, IndexStore
from service.language.sentences import _Segmenter, segment
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


def _rows(
    data_dir: Path, workers: int, files: list[Path], cache: Path | None = None
) -> list[tuple[object, ...]]:
    settings = make_settings(data_dir, ingest={"embed_group": 1, "parse_workers": workers})
    ingester = make_ingester(settings)
    ingester.split_cache = cache
    summary = ingester.ingest_paths(files)
    assert summary.count("failed") == 1 and summary.count("added") == len(files) - 1
    snap = CorpusSnapshot.build(ingester.store, 80.0)
    return [
        (s.source, s.number, s.text, s.start, s.end, s.paragraph, s.entities)
        for s in snap.sentences
    ]


def test_parsing_in_worker_processes_indexes_the_same_sentences(tmp_path: Path) -> None:
    bad = tmp_path / "empty.txt"
    bad.write_text("\n\n")
    files = sorted(CORPUS.glob("*.txt"))
    files = [*files[:2], bad, *files[2:]]  # one bad file among groups of one document
    pooled = _rows(tmp_path / "pooled", 2, files)
    in_place = _rows(tmp_path / "in-place", 1, files)
    assert pooled == in_place  # the workers' entity labels too
    assert len({r[0] for r in pooled}) == len(files) - 1
    assert any(r[-1] for r in pooled)  # the tagger ran (the seed articles name people)


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


@pytest.mark.parametrize(
    ("write_min", "wait_s", "first_write"),
    [(3, 600.0, 3), (3, 0.0, 1), (1, 600.0, 1)],
)
def test_a_write_waits_for_write_min_documents_or_write_wait_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_min: int, wait_s: float, first_write: int
) -> None:
    """A free writer takes what is pending once ingest.write_min documents are, or once
    the oldest has waited ingest.write_wait_s; the rest goes at the end, in order."""
    files = sorted(CORPUS.glob("*.txt"))
    settings = make_settings(
        tmp_path / "data",
        ingest={"embed_group": 1, "write_min": write_min, "write_wait_s": wait_s},
    )
    ingester = make_ingester(settings)
    writes: list[list[str]] = []
    real_write = IndexStore.write_documents

    def recorded(store: IndexStore, docs: list[DocumentWrite]) -> None:
        writes.append([d.source for d in docs])
        real_write(store, docs)

    monkeypatch.setattr(IndexStore, "write_documents", recorded)
    assert ingester.ingest_paths(files).count("added") == len(files)
    assert len(writes[0]) == first_write
    assert [s for w in writes for s in w] == [f.name for f in files]
    assert len(CorpusSnapshot.build(ingester.store, 80.0).documents) == len(files)


def test_split_cache_gives_the_splitters_own_spans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [p for f in sorted(CORPUS.glob("*.txt")) for p in f.read_text().split("\n\n")]
    texts += ["Mr. Smith went to Washington D.C. on Jan. 5.   It rained.", "", "“Quoted.” Next!"]
    cache = SplitCache(tmp_path / "cache.sqlite3")
    expected = [[(s.sent, s.start, s.end) for s in segment(t)] for t in texts]
    for _ in range(2):  # split, then read back
        got = [[(s.sent, s.start, s.end) for s in spans] for spans in cache.segment_all(texts)]
        assert got == expected
    distinct = len(set(texts))
    assert (cache.misses, cache.hits) == (len(texts), len(texts))
    assert len(SplitCache(tmp_path / "cache.sqlite3")) == distinct  # reopened: kept
    # Another splitter's rows are not read.
    monkeypatch.setattr(split_cache, "SPLITTER_ID", "another-splitter")
    cache.segment_all(texts)
    assert cache.misses == 2 * len(texts) and len(cache) == 2 * distinct


def _open_and_split(path: str, start: float) -> int:
    while time.time() < start:  # every process opens the file at the same moment
        pass
    return len(SplitCache(Path(path)).segment_all(["One sentence. Another one."])[0])


def test_processes_opening_a_new_cache_file_at_once_all_succeed(tmp_path: Path) -> None:
    """Parse workers open the cache file on their first batch, so a new file is opened by
    several processes at once. Switching it to WAL then fails at once with "database is
    locked" for some of them (SQLite does not wait where waiting could deadlock); the
    set-up is retried. Before the retry, 4 processes failed in ~1 round of 3."""
    context = multiprocessing.get_context("fork")
    with context.Pool(4) as pool:
        for round_ in range(20):
            path = str(tmp_path / f"cache-{round_}.sqlite3")
            start = time.time() + 0.05
            assert pool.starmap(_open_and_split, [(path, start)] * 4) == [2] * 4


def test_reindexing_with_the_split_cache_splits_nothing_and_keeps_every_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first ingest (worker processes) fills the cache; an ingest into a new index
    splits no paragraph again (the splitter is made to fail) and stores the same sentences,
    which are those of an ingest without the cache."""
    bad = tmp_path / "empty.txt"
    bad.write_text("\n\n")
    files = [*sorted(CORPUS.glob("*.txt")), bad]
    cache = tmp_path / "cache.sqlite3"
    first = _rows(tmp_path / "first", 2, files, cache)
    assert len(SplitCache(cache)) > 0

    def no_splitting(text: str) -> list[object]:
        raise AssertionError(f"split again: {text[:60]!r}")

    monkeypatch.setattr(split_cache, "segment", no_splitting)
    assert _rows(tmp_path / "again", 1, files, cache) == first
    monkeypatch.undo()
    assert _rows(tmp_path / "uncached", 1, files) == first


def test_worker_processes_tag_the_sentences_they_parse(tmp_path: Path) -> None:
    """A pooled ingest tags in its parse workers: the main process's tagger (whose copies
    the workers receive) is asked nothing, and every stored sentence has its labels."""
    from tests.test_entities import CountingTagger

    settings = make_settings(tmp_path, ingest={"embed_group": 1, "parse_workers": 2})
    ingester = make_ingester(settings)
    assert ingester.tagger is not None
    counting = CountingTagger(ingester.tagger)
    ingester.tagger = counting
    files = sorted(CORPUS.glob("*.txt"))
    assert ingester.ingest_paths(files).count("added") == len(files)
    assert counting.calls == []
    labels = CorpusSnapshot.build(ingester.store, 80.0).entity_labels
    assert labels and all(found is not None for found in labels)
    assert any(labels)


def test_each_batch_is_shared_among_the_workers_and_comes_back_in_order() -> None:
    """A batch goes to the pool as one task per worker (so the first batch, which the
    model waits for, is parsed by every worker at once), and its documents come back
    whole and in the batch's order."""
    from ingest.bulk import ParsePool
    from ingest.parse import ParsedDocument

    files = sorted(CORPUS.glob("*.txt"))
    docs = [(f"{i}-{f.name}", f.read_bytes()) for i in range(3) for f in files]
    batches = [docs[:5], docs[5:12], docs[12:]]
    settings = make_settings(Path("/nonexistent"))
    suffixes, max_bytes = settings.ingest.suffixes, settings.ingest.max_document_bytes

    pool = ParsePool(2, suffixes, max_bytes)
    assert [len(part) for part in pool._parts(docs[:5])] == [3, 2]
    assert [len(part) for part in pool._parts(docs[:1])] == [1]
    with pool:
        out = list(pool.map(batches))
    assert pool._pool is None  # closed
    assert [batch for batch, _ in out] == batches
    for batch, parsed in out:
        assert all(isinstance(p, ParsedDocument) for p in parsed)
        assert [p.source for p in parsed if isinstance(p, ParsedDocument)] == [
            name for name, _ in batch
        ]
