"""The in-memory snapshot kept on disk, so that a process starting up does not rebuild it.

Building a snapshot from Chroma reads every sentence, vector and manifest record and
tokenises every sentence again: 9 s at 1,000 articles (17.7k sentences, load ~6 on 2
cores), so ~15 min at 100k, in every worker, at every start. Read back from this file it
takes 0.2-0.5 s at 1,000 articles; then only the documents changed since it was written
are read from Chroma (the snapshot's incremental build), and a process is ready in
seconds.

Format: the vectors as a ``.npy`` file, read memory-mapped (workers on one machine share
their pages through the page cache); everything else pickled. The pickle is trusted like
the rest of the data folder: it is written only by this service into its own folder,
beside the Chroma database whose files (Chroma's own pickles among them) decide the answers
anyway; nothing from a request or a document ever names a file here. A file whose header
does not match this index (another collection, embedder, name similarity or format) is
ignored, and so is one that cannot be read: the snapshot is then built from Chroma, as
without the file.

Files are written under a temporary name and renamed (vectors first, then the pickle that
names them), so a reader never sees half a file; a crash leaves at most a stray temporary,
which the next write removes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from service.index.store import IndexStore
from service.settings import Settings

log = logging.getLogger(__name__)

# Bump when the pickled classes change shape (StoredSentence, LexicalIndex, NameIndex...).
# 3: vectors one per distinct text, with each sentence's vector index.
# 4: the BM25 index's rows are distinct texts (``LexicalIndex.carriers``).
# 5: ... and are kept per text key for the next build, no longer per document.
# 6: a document's manifest entry carries its URL (``DocumentEntry.url``).
FORMAT = 6


@dataclass(frozen=True)
class SnapshotKey:
    """What a saved snapshot must match to be used by this process."""

    collection_id: str  # Chroma's id of the vector collection
    embedder: str
    name_similarity: float

    def stem(self) -> str:
        return f"snapshot-{self.collection_id}"


def snapshot_files(settings: Settings, store: IndexStore) -> SnapshotFiles | None:
    """Where ``store``'s snapshots are kept under these settings (None: not kept)."""
    retrieval = settings.retrieval
    if not retrieval.snapshot_file:
        return None
    # The collection's id, not where it is reached: a managed server's port changes at
    # every start; a collection deleted and made again gets a new id.
    key = SnapshotKey(str(store.vectors.id), store.embedder_name, retrieval.name_similarity)
    return SnapshotFiles(settings.snapshot_dir, key, retrieval.snapshot_save_interval_s)


class SnapshotFiles:
    """One index's saved snapshots: read the newest, write one now and then.

    Writes are at most one per ``save_interval_s`` (the newest file's age, whichever
    process wrote it), and one process at a time (a lock file; a process that finds it
    taken skips its write: the other is writing the same index)."""

    def __init__(self, folder: Path, key: SnapshotKey, save_interval_s: float) -> None:
        self.folder = folder
        self.key = key
        self.save_interval_s = save_interval_s
        self._tried_at: float | None = None  # this process's last write, even a failed one

    def read(self) -> tuple[dict[str, Any], np.ndarray] | None:
        return load(self.folder, self.key)

    def due(self) -> bool:
        """Whether a write is due: none for ``save_interval_s``, by any process, and no
        attempt of this one either (a folder it cannot write is not retried at every
        refresh)."""
        now = time.time()
        if self._tried_at is not None and now - self._tried_at < self.save_interval_s:
            return False
        saved = _saved(self.folder, self.key)
        return not saved or now - _written_at(saved[0]) >= self.save_interval_s

    def write(self, parts: dict[str, Any], vectors: np.ndarray) -> Path | None:
        """Save unless another process is saving; returns the file written, if any."""
        self._tried_at = time.time()
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / f".{self.key.stem()}.lock").open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            return save(self.folder, self.key, parts, vectors)


def save(folder: Path, key: SnapshotKey, parts: dict[str, Any], vectors: np.ndarray) -> Path:
    """Write one snapshot (``parts``: the pickled fields, ``vectors`` apart); returns the
    pickle's path. Older snapshots of the same key are removed once the new one is in."""
    folder.mkdir(parents=True, exist_ok=True)
    _remove_strays(folder, key)
    stamp = f"{time.time_ns()}-{os.getpid()}"
    vectors_path = folder / f"{key.stem()}-{stamp}.npy"
    _write_atomically(vectors_path, lambda f: np.save(f, vectors, allow_pickle=False))
    header = {"format": FORMAT, "key": key}
    path = vectors_path.with_suffix(".pickle")
    _write_atomically(
        path, lambda f: pickle.dump((header, parts), f, protocol=pickle.HIGHEST_PROTOCOL)
    )
    for old in _saved(folder, key):  # writers take turns (the lock): all others are older
        if old != path:
            _remove_with_vectors(old)
    return path


def load(folder: Path, key: SnapshotKey) -> tuple[dict[str, Any], np.ndarray] | None:
    """The newest readable snapshot of ``key`` in ``folder``: (fields, vectors), or None."""
    for path in _saved(folder, key):
        try:
            with path.open("rb") as f:
                header, parts = pickle.load(f)
            if header.get("format") != FORMAT or header.get("key") != key:
                log.info("snapshot file %s is for another index or format: not used", path.name)
                continue
            vectors = np.load(path.with_suffix(".npy"), mmap_mode="r", allow_pickle=False)
            return parts, vectors
        except FileNotFoundError:
            continue  # removed by a newer save meanwhile
        except Exception as exc:  # a damaged file costs a rebuild, never the service
            log.warning("snapshot file %s is unreadable (%s): building from the index", path, exc)
    return None


def _saved(folder: Path, key: SnapshotKey) -> list[Path]:
    """``key``'s snapshot files, newest first, by the time in their names (no ``stat``: a
    file another process removes meanwhile is skipped when opened, not an error here)."""
    return sorted(folder.glob(f"{key.stem()}-*.pickle"), key=_written_at, reverse=True)


def _written_at(path: Path) -> float:
    """Seconds since the epoch, from the name ``<stem>-<time_ns>-<pid>.pickle``."""
    return int(path.stem.rsplit("-", 2)[1]) / 1e9


def _write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove_strays(folder: Path, key: SnapshotKey) -> None:
    """What a writer that died mid-save left of ``key``: temporaries (a service stopped
    while its background save ran: 700 MB of vectors at 480k sentences) and vectors whose
    pickle never came. Called under the writers' lock, so no live writer owns them."""
    for tmp in folder.glob(f".{key.stem()}-*.tmp"):
        tmp.unlink(missing_ok=True)
    for vectors in folder.glob(f"{key.stem()}-*.npy"):
        if not vectors.with_suffix(".pickle").exists():
            vectors.unlink(missing_ok=True)


def _remove_with_vectors(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".npy").unlink(missing_ok=True)
