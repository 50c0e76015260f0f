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
    # a reader that waited for the build would wait BUILD_S; half of it allows a busy machine
    assert max(waits) < BUILD_S / 2, f"a reader waited {max(waits):.2f} s"


def test_a_reconnect_keeps_the_snapshot(scratch: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """After an outage (``Container.reset``), the next request opens a new connection but is
    answered from the snapshot held: an unchanged index is not rebuilt, a changed one is
    rebuilt in the background."""
    from service.container import Container

    ingester = make_ingester(scratch)
    files = sorted(CORPUS.glob("*.txt"))
    ingester.ingest_paths(files[:2])
    container = Container(scratch)
    first_state = container.state()
    held = first_state.snapshot()

    builds: list[float] = []
    real_build = CorpusSnapshot.build

    def counted_build(store: object, name_similarity: float, **kwargs: object) -> CorpusSnapshot:
        builds.append(time.monotonic())
        time.sleep(BUILD_S)
        return real_build(store, name_similarity, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(CorpusSnapshot, "build", staticmethod(counted_build))
    container.reset()
    started = time.monotonic()
    state = container.state()
    assert state is not first_state  # a new connection...
    assert state.snapshot() is held  # ...answering at once from the snapshot held
    assert time.monotonic() - started < BUILD_S
    deadline = time.monotonic() + 10
    while state._refreshing.is_set() or state._checked_at == 0.0:  # the background check
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert not builds and state.snapshot() is held  # nothing changed: nothing rebuilt

    ingester.ingest_paths(files[2:3])
    container.reset()
    state = container.state()
    assert state.snapshot() is held
    deadline = time.monotonic() + BUILD_S + 10
    while len(state.snapshot().documents) != 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert len(builds) == 1
