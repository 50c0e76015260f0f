"""Index refresh off the request path: readers get the previous snapshot at once while a
new one is built in the background, then the new one whole (an atomic swap)."""

from __future__ import annotations

import threading
import time

import pytest

from service.index.corpus import CorpusSnapshot, IndexState
from service.settings import Settings
from tests.conftest import CORPUS, make_ingester

BUILD_S = 1.5  # a rebuild made slow on purpose, to be seen not waiting for it


def test_readers_never_wait_for_a_rebuild(
    scratch: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingester = make_ingester(scratch)
    files = sorted(CORPUS.glob("*.txt"))
    ingester.ingest_paths(files[:2])
    state = IndexState(ingester.store, scratch.retrieval.name_similarity, refresh_interval_s=0.1)
    first = state.snapshot()
    assert len(first.documents) == 2

    real_build = CorpusSnapshot.build
    building = threading.Event()

    def slow_build(store: object, name_similarity: float, **kwargs: object) -> CorpusSnapshot:
        building.set()
        time.sleep(BUILD_S)
        return real_build(store, name_similarity, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(CorpusSnapshot, "build", staticmethod(slow_build))
    ingester.ingest_paths(files[2:3])  # another writer moves the manifest
    time.sleep(0.2)  # past the refresh interval

    before = {f.name for f in files[:2]}
    after = {f.name for f in files[:3]}
    waits = []
    seen = set()
    deadline = time.monotonic() + BUILD_S + 10
    while time.monotonic() < deadline:
        started = time.monotonic()
        snap = state.snapshot()
        waits.append(time.monotonic() - started)
        seen.add(len(snap.documents))
        assert set(snap.documents) in (before, after)  # one whole version, never a mix
        assert len({s.source for s in snap.sentences}) == len(snap.documents)
        if len(snap.documents) == 3:
            break
        time.sleep(0.05)
    assert building.is_set()
    assert seen == {2, 3}  # the old one while building, then the new one
    assert max(waits) < 0.2, f"a reader waited {max(waits):.2f} s"
