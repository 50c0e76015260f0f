"""Adding, listing and removing documents through the API: the CLI's ingestion, over HTTP.

The same :class:`ingest.pipeline.Ingester` as ``python -m ingest`` does the work, so the
API is idempotent the same way (content hash: unchanged, replaced, added) and a failed
write leaves the index as it was (versioned writes, see ``service.index.store``).
Writes are serialised within a process; after one, this process's snapshot is refreshed
at once, and other processes see it at their next refresh check.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from ingest.loaders import DocumentError, validate_source_name
from ingest.pipeline import DocumentMeta, Ingester, Outcome
from service.container import Container
from service.errors import ApiError
from service.index.archive import export_archive
from service.index.errors import IndexUnavailable
from service.index.garbage import SweepSoon
from service.index.store import DocumentEntry


class DocumentsService:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.settings = container.settings
        self._write_lock = threading.Lock()
        # Vectors a replaced or removed document no longer needs: swept in the background.
        self.sweep = SweepSoon(lambda: container.state().store)

    # -- checks that need no index --------------------------------------------------------
    def check_name(self, source: str, writing: bool = True) -> str:
        """On a write: 400 for a name that is not a plain file name, 415 for a type not
        indexed. On a read or delete, 404 for both: no such document can exist."""
        suffix = Path(source).suffix.lower()
        try:  # with its own suffix allowed, only the name itself can fail
            validate_source_name(source, [suffix] if suffix else [""])
        except DocumentError as exc:
            if not writing:
                raise ApiError(404, f"unknown document {source!r}") from exc
            raise ApiError(400, str(exc), "invalid_source") from exc
        if suffix not in self.settings.ingest.suffixes:
            if not writing:
                raise ApiError(404, f"unknown document {source!r}")
            raise ApiError(
                415,
                f"unsupported file type {suffix or '(none)'!r} for {source!r}: accepted are "
                + ", ".join(self.settings.ingest.suffixes),
            )
        return source

    def check_content_type(self, content_type: str | None) -> None:
        media = (content_type or "application/octet-stream").split(";")[0].strip().lower()
        if media not in self.settings.documents.content_types:
            raise ApiError(
                415,
                f"unsupported media type {media!r}: accepted are "
                + ", ".join(self.settings.documents.content_types),
            )

    def check_size(self, size: int) -> None:
        limit = self.settings.ingest.max_document_bytes
        if size > limit:
            raise ApiError(413, f"the document is {size} bytes; the limit is {limit} bytes")

    # -- operations (blocking: run them in a worker thread) --------------------------------
    def _ingester(self) -> Ingester:
        state = self.container.state()
        return Ingester(
            state.store,
            self.container.ingest_embedder,
            self.settings.ingest,
            self.container.ingest_tagger,
        )

    def put(
        self, source: str, data: bytes, meta: DocumentMeta | None = None
    ) -> tuple[Outcome, DocumentEntry | None]:
        """The one write path of this process: the API's and the feed poller's
        (``service.feeds``), one at a time."""
        self.check_name(source)
        self.check_size(len(data))
        with self._write_lock:
            ingester = self._ingester()
            count = ingester.store.document_count()
            if (
                count >= self.settings.documents.max_documents
                and ingester.store.document(source) is None
            ):
                raise ApiError(
                    409,
                    f"the index holds {count} documents, the most allowed "
                    f"(documents.max_documents); remove one first",
                    "index_full",
                )
            try:
                outcome = ingester.ingest_bytes(source, data, meta)
            except DocumentError as exc:
                raise ApiError(422, str(exc), "invalid_document") from exc
            except (ApiError, IndexUnavailable):
                raise
            except Exception as exc:
                self._raise_if_chroma_down(exc)
                raise
            self.container.state().invalidate()
            entry = ingester.store.document(source)
        if outcome.status == "replaced":
            self.sweep.request()
        return outcome, entry

    def delete(self, source: str) -> Outcome:
        self.check_name(source, writing=False)
        with self._write_lock:
            ingester = self._ingester()
            try:
                outcome = ingester.remove(source)
            except IndexUnavailable:
                raise
            except Exception as exc:
                self._raise_if_chroma_down(exc)
                raise
            self.container.state().invalidate()
        if outcome.status != "removed":
            raise ApiError(404, f"unknown document {source!r}")
        self.sweep.request()
        return outcome

    def list(self) -> list[DocumentEntry]:
        """Straight from Chroma's manifest, not this process's snapshot: what is stored now."""
        docs = self.container.state().store.documents()
        return [docs[s] for s in sorted(docs)]

    def export(self, vectors: bool) -> Path:
        """The index as one archive (``service/index/archive.py``) in a temporary file the
        caller removes: how ``python -m ingest --export`` reads an embedded index this
        process owns. A read: questions are answered meanwhile, and a write meanwhile is
        in the archive whole or not at all."""
        fd, name = tempfile.mkstemp(prefix="newsqa-export-", suffix=".tar.gz")
        os.close(fd)
        path = Path(name)
        try:
            export_archive(self.container.state().store, path, vectors=vectors)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    def get(self, source: str) -> DocumentEntry:
        self.check_name(source, writing=False)
        entry = self.container.state().store.document(source)
        if entry is None:
            raise ApiError(404, f"unknown document {source!r}")
        return entry

    def _raise_if_chroma_down(self, exc: Exception) -> None:
        """Writes are not wrapped like reads: tell "Chroma is down" (503) from a bug (500)."""
        try:
            self.container.state().store.heartbeat()
        except IndexUnavailable as down:
            raise down from exc
