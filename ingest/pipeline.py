"""Index documents idempotently: unchanged → nothing, changed → replaced whole, gone → removed.

Everything that can fail on bad input (decoding, cleaning, segmentation, embedding) runs
before the first write to Chroma, and the write itself is versioned (see
``service.index.store``), so a failed ingest leaves the document as it was.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from ingest.loaders import DocumentError, read_document, validate_source_name
from ingest.sentences import Sentence, split_sentences
from ingest.teasers import foreign_tail
from service.components.embeddings import Embedder
from service.index.store import IndexStore, StoredSentence
from service.language.text import repair_text
from service.settings import IngestSettings

log = logging.getLogger(__name__)

# Bump when cleaning or segmentation changes, so that `make run` re-indexes old data.
PIPELINE_VERSION = "6"

Status = Literal["added", "unchanged", "replaced", "failed", "removed"]


@dataclass(frozen=True)
class Outcome:
    source: str
    status: Status
    sentences: int = 0
    error: str | None = None


@dataclass(frozen=True)
class PreparedDocument:
    """A document read, cleaned, split, embedded: ready to be written."""

    source: str
    doc_hash: str
    text: str
    title: str | None
    date: str | None
    sentences: list[Sentence]
    # From an HTML page's metadata (a byline in plain text); not stored in the index yet.
    author: str | None
    site: str | None
    vectors: np.ndarray


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def sentences(self) -> int:
        return sum(o.sentences for o in self.outcomes if o.status != "failed")

    def line(self) -> str:
        return (
            f"{self.count('added')} added, {self.count('unchanged')} unchanged, "
            f"{self.count('replaced')} replaced, {self.count('removed')} removed, "
            f"{self.count('failed')} failed; {self.sentences} sentences; {self.seconds:.1f} s"
        )


def content_hash(data: bytes, embedder_name: str) -> str:
    """Identifies what the index holds for a file: its bytes, the pipeline and the model."""
    h = hashlib.sha256()
    h.update(f"newsqa-pipeline:{PIPELINE_VERSION}|{embedder_name}|".encode())
    h.update(data)
    return h.hexdigest()


class Ingester:
    """Turns files into indexed sentences through one :class:`IndexStore`."""

    def __init__(self, store: IndexStore, embedder: Embedder, settings: IngestSettings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings

    def prepare(self, source: str, data: bytes) -> PreparedDocument:
        validate_source_name(source, self.settings.suffixes)
        if len(data) > self.settings.max_document_bytes:
            raise DocumentError(
                f"{source!r} is {len(data)} bytes; the limit is "
                f"{self.settings.max_document_bytes} bytes"
            )
        text, doc = read_document(source, data)
        sentences = split_sentences(text, doc.prose)
        if not sentences:
            raise DocumentError(f"{source!r} has no article text left after cleaning")
        # Vectors are made from repaired text so that mojibake does not hide a sentence;
        # the stored text stays as the file has it, so citations match the file.
        vectors = self.embedder.embed([repair_text(s.text) for s in sentences])
        drop = foreign_tail(vectors, self.settings.teaser_max_similarity)
        if drop:
            log.info("%s: dropping %d trailing teaser sentences", source, drop)
            sentences, vectors = sentences[:-drop], vectors[:-drop]
        return PreparedDocument(
            source=source,
            doc_hash=content_hash(data, self.embedder.name),
            text=text,
            title=doc.title or _first_words(sentences[0].text),
            date=doc.date,
            sentences=sentences,
            author=doc.byline,
            site=doc.site,
            vectors=vectors,
        )

    def ingest_bytes(self, source: str, data: bytes) -> Outcome:
        """Index one document; raises :class:`DocumentError` for input that cannot be indexed."""
        known = self.store.documents().get(source)
        digest = content_hash(data, self.embedder.name)
        if known is not None and known.doc_hash == digest:
            return Outcome(source, "unchanged", known.sentences)
        prepared = self.prepare(source, data)
        self.store.write_document(
            source=source,
            doc_hash=prepared.doc_hash,
            sentences=[
                StoredSentence(
                    source, s.number, s.text, s.start, s.end, prepared.title, s.paragraph
                )
                for s in prepared.sentences
            ],
            vectors=prepared.vectors,
            title=prepared.title,
            date=prepared.date,
        )
        return Outcome(source, "added" if known is None else "replaced", len(prepared.sentences))

    def ingest_paths(self, paths: list[Path], progress: bool = False) -> Summary:
        """Index files; one bad file is reported as failed and does not stop the others."""
        from tqdm import tqdm

        started = time.perf_counter()
        summary = Summary()
        for path in tqdm(paths, desc="indexing", unit="doc", disable=not progress):
            try:
                summary.outcomes.append(self.ingest_bytes(path.name, path.read_bytes()))
            except (DocumentError, OSError) as exc:
                log.warning("failed: %s: %s", path, exc)
                summary.outcomes.append(Outcome(path.name, "failed", error=str(exc)))
        summary.seconds = time.perf_counter() - started
        return summary

    def remove(self, source: str) -> Outcome:
        existed = self.store.delete_document(source)
        return Outcome(source, "removed" if existed else "unchanged")

    def prune(self, keep: set[str]) -> list[Outcome]:
        """Remove documents that are no longer in the corpus folder (``--sync``)."""
        return [self.remove(s) for s in sorted(set(self.store.documents()) - keep)]


def _first_words(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
