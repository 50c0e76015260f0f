"""The snapshot kept on disk: a starting process reads it instead of rebuilding from
Chroma, then reads only the documents changed since; a file of another index, or a damaged
one, is ignored (the snapshot is built from Chroma as without it); a write is all or
nothing."""

from __future__ import annotations

import logging
import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.container import Container
from service.index import corpus
from service.index.corpus import CorpusSnapshot, IndexState
from service.index.snapshot_file import SnapshotFiles, SnapshotKey, load
from service.index.store import IndexStore
from service.settings import Settings
from tests.conftest import CORPUS, make_ingester

QUESTION = "What did Ushakov say?"


def _saved(folder: Path) -> list[Path]:
    return sorted(folder.glob("snapshot-*.pickle"))


def _wait_saved(folder: Path, n: int = 1) -> list[Path]:
    deadline = time.monotonic() + 30
    while len(_saved(folder)) < n or any(folder.glob(".*.tmp")):
        assert time.monotonic() < deadline, "no snapshot file written"
        time.sleep(0.05)
    return _saved(folder)


def _saved_one_document(scratch: Settings) -> tuple[CorpusSnapshot, Path, SnapshotKey]:
    """One document indexed and its snapshot built and saved: (snapshot, folder, key)."""
    make_ingester(scratch).ingest_paths(sorted(CORPUS.glob("*.txt"))[:1])
    state = Container(scratch).state()
    snap = state.snapshot()
    _wait_saved(scratch.snapshot_dir)
    assert state.files is not None
    return snap, scratch.snapshot_dir, state.files.key


class Reads:
    """Counts snapshot builds and the sources each reads from Chroma."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.builds = 0
        self.sources: list[str] = []
        real_build = CorpusSnapshot.build
        real_load = IndexStore.load_current

        def build(store: IndexStore, name_similarity: float, **kw: object) -> CorpusSnapshot:
            self.builds += 1
            return real_build(store, name_similarity, **kw)  # type: ignore[arg-type]

        def load_current(store: IndexStore, documents: dict, **kw: Any) -> object:  # type: ignore[type-arg]
            self.sources.extend(documents)
            return real_load(store, documents, **kw)

        monkeypatch.setattr(CorpusSnapshot, "build", staticmethod(build))
        monkeypatch.setattr(IndexStore, "load_current", load_current)


def _same(a: CorpusSnapshot, b: CorpusSnapshot) -> None:
    assert a.fingerprint == b.fingerprint and a.documents == b.documents
    assert a.sentences == b.sentences
    assert np.array_equal(np.asarray(a.vectors), np.asarray(b.vectors))
    assert np.array_equal(a.row_vector, b.row_vector)
    assert np.array_equal(a.vector_keys, b.vector_keys)
    query = a.vector(0)
    assert a.nearest(query, 5) == b.nearest(query, 5)
    assert np.allclose(a.lexical.scores(QUESTION), b.lexical.scores(QUESTION))
    assert a.lexical.search(QUESTION, 5) == b.lexical.search(QUESTION, 5)
    assert a.names.resolve("Ushakov") == b.names.resolve("Ushakov")


def test_a_new_process_starts_from_the_file(
    scratch: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(CORPUS.glob("*.txt"))
    ingester = make_ingester(scratch)
    ingester.ingest_paths(files[:3])
    first = Container(scratch).state().snapshot()  # built from Chroma, then saved
    folder = scratch.snapshot_dir
    assert len(_wait_saved(folder)) == 1

    reads = Reads(monkeypatch)
    speakers_runs: list[int] = []
    real_speakers = corpus.speakers

    def counted_speakers(*args: Any) -> Any:
        speakers_runs.append(1)
        return real_speakers(*args)

    monkeypatch.setattr(corpus, "speakers", counted_speakers)
    state = Container(scratch).state()  # another process, as far as the index knows
    again = state.snapshot()
    assert reads.builds == 0 and not reads.sources  # nothing read from Chroma but the token
    _same(first, again)
    assert isinstance(again.vectors, np.memmap)  # shared through the page cache
    # Kept in the file, not recomputed; and ready before any question asks for them.
    assert not speakers_runs and again.speakers == first.speakers
    assert {"document_frequency", "said_by", "entity_labels"} <= set(again.__dict__)
    assert again.document_frequency == first.document_frequency

    # Documents added since the file: only they are read from Chroma.
    ingester.ingest_paths(files[3:])
    later = Container(scratch).state().snapshot()
    assert reads.builds == 1
    assert len(speakers_runs) == 1 and "said_by" in later.__dict__  # prepared in the build
    assert set(reads.sources) == {f.name for f in files[3:]}
    assert set(later.documents) == {f.name for f in files}
    reads.sources.clear()
    full = CorpusSnapshot.build(make_ingester(scratch).store, scratch.retrieval.name_similarity)
    _same(later, full)


def test_a_file_of_another_index_or_a_damaged_one_is_ignored(
    scratch: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    files = sorted(CORPUS.glob("*.txt"))
    make_ingester(scratch).ingest_paths(files[:2])
    Container(scratch).state().snapshot()
    folder = scratch.snapshot_dir
    (saved,) = _wait_saved(folder)

    # Another embedder or name similarity: the key differs, the file is not used.
    key = pickle.loads(saved.read_bytes())[0]["key"]
    for other in (
        SnapshotKey(key.collection_id, "another-model", key.name_similarity),
        SnapshotKey(key.collection_id, key.embedder, key.name_similarity + 1),
        SnapshotKey("another-collection", key.embedder, key.name_similarity),
    ):
        assert load(folder, key) is not None and load(folder, other) is None

    # A damaged file (cut short): built from Chroma, with a warning, never an error.
    saved.write_bytes(saved.read_bytes()[:100])
    reads = Reads(monkeypatch)
    with caplog.at_level(logging.WARNING):
        snap = Container(scratch).state().snapshot()
    assert reads.builds == 1 and len(snap.documents) == 2
    assert "unreadable" in caplog.text


def test_a_write_is_all_or_nothing(scratch: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    snap, folder, key = _saved_one_document(scratch)
    before = sorted(p.name for p in folder.iterdir())

    files = SnapshotFiles(folder, key, save_interval_s=0)

    def broken_dump(*args: object, **kwargs: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(pickle, "dump", broken_dump)
    with pytest.raises(OSError):
        files.write(snap.to_parts(), snap.vectors)
    # the old snapshot is whole and still the one read; no temporary left behind
    assert sorted(p.name for p in folder.iterdir() if p.suffix != ".npy") == [
        n for n in before if not n.endswith(".npy")
    ]
    assert not list(folder.glob(".*.tmp"))
    monkeypatch.undo()
    assert load(folder, files.key) is not None


def test_writes_are_spaced_and_one_at_a_time(scratch: Settings) -> None:
    snap, folder, key = _saved_one_document(scratch)
    assert not SnapshotFiles(folder, key, save_interval_s=3600).due()
    assert SnapshotFiles(folder, key, save_interval_s=0).due()

    import fcntl

    files = SnapshotFiles(folder, key, save_interval_s=0)
    with (folder / f".{key.stem()}.lock").open("w") as held:  # another process writing
        fcntl.flock(held, fcntl.LOCK_EX)
        assert files.write(snap.to_parts(), snap.vectors) is None
    written = files.write(snap.to_parts(), snap.vectors)
    assert written is not None and _saved(folder) == [written]  # the older one removed
    assert len(list(folder.glob("*.npy"))) == 1


def test_the_next_write_removes_what_a_dead_writer_left(scratch: Settings) -> None:
    """A service stopped during its background save leaves a temporary (700 MB of vectors
    at 480k sentences) and perhaps vectors without their pickle; the next save, holding
    the writers' lock, removes them, and nothing of another index."""
    snap, folder, key = _saved_one_document(scratch)
    stem = key.stem()
    strays = [
        folder / f".{stem}-1-99.npy.abc123.tmp",  # vectors being written
        folder / f".{stem}-1-99.pickle.def456.tmp",  # the pickle being written
        folder / f"{stem}-1-99.npy",  # vectors in, pickle never came
    ]
    others = [folder / ".snapshot-other-1-99.npy.x.tmp", folder / "snapshot-other-1-99.npy"]
    for path in strays + others:
        path.write_bytes(b"left over")
    written = SnapshotFiles(folder, key, save_interval_s=0).write(snap.to_parts(), snap.vectors)
    assert written is not None
    assert not any(p.exists() for p in strays)
    assert all(p.exists() for p in others)  # another collection's: not ours to remove
    assert _saved(folder) == [written] and written.with_suffix(".npy").exists()


def test_off_by_setting(tmp_path: Path) -> None:
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, retrieval={"snapshot_file": False})
    make_ingester(settings).ingest_paths(sorted(CORPUS.glob("*.txt"))[:1])
    state = Container(settings).state()
    assert isinstance(state, IndexState) and state.files is None
    state.snapshot()
    time.sleep(0.3)
    assert not settings.snapshot_dir.exists()


def test_the_ingest_cli_leaves_a_snapshot_for_the_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT, make_settings

    settings = make_settings(tmp_path / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.update(
        NEWSQA_DATA__DIR=str(settings.data.dir), NEWSQA_CHROMA__PATH=str(settings.chroma_path)
    )
    articles = tmp_path / "articles"
    articles.mkdir()
    files = sorted(CORPUS.glob("*.txt"))

    def ingest() -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "ingest", str(articles)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        return done

    for f in files[:2]:
        shutil.copy(f, articles)
    assert "snapshot for the service kept" in ingest().stderr
    reads = Reads(monkeypatch)
    snap = Container(settings).state().snapshot()
    assert reads.builds == 0 and set(snap.documents) == {f.name for f in files[:2]}

    shutil.copy(files[2], articles)  # one more: the CLI reads that one only, and saves
    monkeypatch.undo()
    ingest()
    reads = Reads(monkeypatch)
    snap = Container(settings).state().snapshot()
    assert reads.builds == 0 and set(snap.documents) == {f.name for f in files[:3]}
    assert len(_saved(settings.snapshot_dir)) == 1

    assert "snapshot" not in ingest().stderr  # nothing changed: nothing written


def test_a_folder_that_cannot_be_written_costs_a_warning_only(
    scratch: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    make_ingester(scratch).ingest_paths(sorted(CORPUS.glob("*.txt"))[:1])
    scratch.snapshot_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch.snapshot_dir.write_text("not a folder")  # e.g. a read-only data mount
    with caplog.at_level(logging.WARNING):
        state = Container(scratch).state()
        assert len(state.snapshot().documents) == 1
        deadline = time.monotonic() + 10
        while "could not save the index snapshot" not in caplog.text:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert state.files is not None and not state.files.due()  # not retried at once
