"""One writer process per embedded Chroma folder, and where the others send their writes.

Embedded Chroma (``PersistentClient``) caches its view of the folder per process: a second
process writing the same folder leaves the first serving stale ids ("Error finding id")
until it restarts, and two processes writing at once can corrupt the on-disk index. So
a process that opens the folder for writing owns it, by an exclusive ``flock`` on
``<folder>/.newsqa-owner.lock``, and says who it is in ``.newsqa-owner.json``:

- a running service owns the folder for its lifetime and records its URL there;
  ``python -m ingest`` run beside it finds that URL and sends its documents through the
  service's document API, so the one process that serves also writes (and sees its writes
  at once);
- ``python -m ingest`` with no service running owns the folder while it writes; a service
  starting meanwhile waits for it to finish.

Apps created in the same process share one ownership (and one chromadb system per folder),
so the tests' many in-process apps do not lock each other out. A Chroma server (mode
``http``) needs none of this: the server is the one writer.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

log = logging.getLogger(__name__)

LOCK_NAME = ".newsqa-owner.lock"
OWNER_NAME = ".newsqa-owner.json"
Kind = Literal["service", "ingest"]


@dataclass(frozen=True)
class Owner:
    pid: int
    kind: Kind
    url: str | None = None
    # The loopback port of the Chroma server a service with several workers serves the
    # folder with (``managed_server``): `python -m ingest --reembed` and `--export` use
    # it while that service keeps serving.
    chroma_port: int | None = None


class OwnedElsewhere(RuntimeError):
    """Another process owns the folder."""

    def __init__(self, owner: Owner | None) -> None:
        who = f"{owner.kind} (pid {owner.pid})" if owner else "another process"
        super().__init__(f"the embedded index is held by {who}")
        self.owner = owner


_registry_lock = threading.Lock()
_held: dict[Path, tuple[IO[str], int]] = {}  # folder -> (open lock file, users in process)


def read_owner(folder: Path) -> Owner | None:
    try:
        data = json.loads((folder / OWNER_NAME).read_text(encoding="utf-8"))
        port = data.get("chroma_port")
        return Owner(int(data["pid"]), data["kind"], data.get("url"), int(port) if port else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def acquire(folder: Path, kind: Kind, url: str | None = None, wait_s: float = 0.0) -> None:
    """Own ``folder`` (re-entrant within a process). Raises :class:`OwnedElsewhere` if
    another process still holds it after ``wait_s`` seconds."""
    folder = folder.resolve()
    with _registry_lock:
        if folder in _held:
            handle, users = _held[folder]
            _held[folder] = (handle, users + 1)
            return
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / LOCK_NAME).open("a", encoding="utf-8")
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise OwnedElsewhere(read_owner(folder)) from None
                time.sleep(0.2)
        _held[folder] = (handle, 1)
        _write_record(folder, Owner(os.getpid(), kind, url))


def _write_record(folder: Path, owner: Owner) -> None:
    record = {"pid": owner.pid, "kind": owner.kind, "url": owner.url}
    if owner.chroma_port is not None:
        record["chroma_port"] = owner.chroma_port
    tmp = folder / f"{OWNER_NAME}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(record), encoding="utf-8")
    tmp.replace(folder / OWNER_NAME)  # readers never see half a record


def announce_chroma_port(folder: Path, port: int) -> None:
    """Add the port of the Chroma server over ``folder`` to this process's owner record."""
    folder = folder.resolve()
    with _registry_lock:
        if folder not in _held:
            raise RuntimeError(f"{folder} is not owned by this process")
        owner = read_owner(folder)
        if owner is not None:
            _write_record(folder, Owner(owner.pid, owner.kind, owner.url, port))


def release(folder: Path) -> None:
    folder = folder.resolve()
    with _registry_lock:
        if folder not in _held:
            return
        handle, users = _held[folder]
        if users > 1:
            _held[folder] = (handle, users - 1)
            return
        del _held[folder]
        (folder / OWNER_NAME).unlink(missing_ok=True)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def wait_for_owner(folder: Path, kind: Kind, url: str | None, patience_s: float) -> None:
    """For a service starting up: wait while an ingest writes; refuse a second service."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            acquire(folder, kind, url, wait_s=min(5.0, patience_s))
            return
        except OwnedElsewhere as exc:
            if exc.owner is not None and exc.owner.kind == "service":
                raise OwnedElsewhere(exc.owner) from None  # it will not let go
            if time.monotonic() >= deadline:
                raise
            log.warning("%s; waiting for it to finish", exc)
