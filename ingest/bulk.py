"""The two helpers that put both cores to work on a bulk ingest.

A folder ingest has three stages per group of documents: parse (decode, clean, split:
pure Python, ~2,000 sentences per CPU-second), embed (ONNX Runtime on its own threads,
outside the GIL) and write (Chroma's Rust bindings, ~1,000 records per CPU-second). Run
one after the other they leave a core idle most of the time (profiled on 1,000 synthetic
articles: 75 s splitting, 160 s embedding, 80 s writing, in sequence). Here:

- :class:`ParsePool` parses the next groups in worker processes (the GIL rules out
  threads for this part) while the main process embeds the current one;
- :class:`BackgroundWriter` writes a group to Chroma in a thread while the next group is
  embedded; at most one write is in flight, and groups are written in order, so the
  crash-safety argument of ``service.index.store`` holds group by group unchanged.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from itertools import chain, islice
from pathlib import Path
from typing import Any

from ingest.loaders import DocumentError
from ingest.parse import ParsedDocument, parse_batch
from service.language.entities import EntityTagger
from service.settings import IngestSettings

Batch = list[tuple[str, bytes]]
Parsed = list[ParsedDocument | DocumentError]


def cores() -> int:
    return len(os.sched_getaffinity(0))


def parse_workers(settings: IngestSettings) -> int:
    """The parse pool's processes: the setting, or one per core."""
    return settings.parse_workers or cores()


def _parse_context() -> multiprocessing.context.ForkServerContext:
    """Where parse workers come from: a fork server that has imported the parser."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ingest.parse"])
    return context


def start_parse_server() -> None:
    """Start the parse workers' fork server now, so that it imports the parser (~0.5 s of
    CPU) while the caller does its own start-up (Chroma's client, the manifest), instead
    of when the first batch is ready. A :class:`ParsePool` that then starts uses it."""
    from multiprocessing import forkserver

    _parse_context()
    forkserver.ensure_running()


class ParsePool:
    """Parses batches in order, ``ahead`` batches in advance, on ``workers`` processes.

    The pool starts only when there is a second batch: one group of documents (the usual
    re-ingest of a few changed files, a test) is parsed in place, with no process start.
    Workers come from a fork server that has imported the parser once, so neither the
    model nor Chroma's threads are forked with them. With a ``tagger``, each batch's
    sentences are tagged where it is parsed (a worker loads the tagger's model once, and
    a cached tagger's cache file is opened once per worker), so that named-entity
    tagging, ~1.5 ms a sentence with spaCy's small English pipeline, runs on the cores
    the model leaves free rather than on the main process's writer thread.
    """

    def __init__(
        self,
        workers: int,
        suffixes: list[str],
        max_bytes: int,
        ahead: int = 3,
        split_cache: Path | None = None,
        tagger: EntityTagger | None = None,
    ):
        self.workers = workers
        self.tagger = tagger
        self.ahead = max(ahead, workers)
        self._pool: ProcessPoolExecutor | None = None
        # One parse call, here or in a worker (a partial of a module function pickles).
        self._parse = functools.partial(
            parse_batch,
            suffixes=suffixes,
            max_bytes=max_bytes,
            split_cache=split_cache,
            tagger=tagger,
        )

    def _parse_here(self, batch: Batch) -> tuple[Batch, Parsed]:
        return batch, self._parse(batch)

    def map(self, batches: Iterable[Batch]) -> Iterator[tuple[Batch, Parsed]]:
        """(batch, its parse) for each batch, in the order given."""
        it = iter(batches)
        head = list(islice(it, 2))
        if self.workers <= 1 or len(head) < 2:
            yield from map(self._parse_here, chain(head, it))
            return
        self._pool = pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=_parse_context()
        )
        pending: deque[tuple[Batch, list[Future[Parsed]]]] = deque()
        for batch in chain(head, it):
            pending.append((batch, [pool.submit(self._parse, part) for part in self._parts(batch)]))
            if len(pending) > self.ahead:
                yield _joined(pending.popleft())
        while pending:
            yield _joined(pending.popleft())

    def _parts(self, batch: Batch) -> list[Batch]:
        """A batch cut into one task per worker: every worker parses a share of each batch,
        so the first batch, which the model waits for with nothing to overlap, is ready in
        about 1/workers of the time one worker takes (82 HTML pages, 2 workers: the model
        started after 8.3 s with whole batches as tasks, 6.8 s with halves)."""
        size = -(-len(batch) // self.workers)
        return [batch[lo : lo + size] for lo in range(0, len(batch), size)]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _joined(pending: tuple[Batch, list[Future[Parsed]]]) -> tuple[Batch, Parsed]:
    """A batch and its parts' parses, put back together in the batch's order."""
    batch, tasks = pending
    return batch, [p for task in tasks for p in task.result()]


class BackgroundWriter:
    """Runs writes one at a time in a thread; :meth:`submit` waits for the previous one
    (and re-raises its error), so a failed write stops the ingest as a direct one would."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write")
        self._last: Future[Any] | None = None

    def submit(self, write: Callable[[], Any]) -> None:
        self.wait()
        self._last = self._thread.submit(write)

    def busy(self) -> bool:
        """Whether the last write is still running (a caller may gather more for the next)."""
        return self._last is not None and not self._last.done()

    def wait(self) -> None:
        last, self._last = self._last, None
        if last is not None:
            last.result()

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.wait()
        finally:
            self._thread.shutdown(wait=True)
