"""Index documents idempotently: unchanged → nothing, changed → replaced whole, gone → removed.

Everything that can fail on bad input (decoding, cleaning, segmentation, embedding) runs
before the first write to Chroma, and the write itself is versioned (see
``service.index.store``), so a failed ingest leaves the document as it was.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from ingest.bulk import BackgroundWriter, ParsePool, parse_workers
from ingest.cleaning import date_in_name
from ingest.loaders import DocumentError
from ingest.parse import ParsedDocument, parse_document
from ingest.sentences import Sentence
from ingest.teasers import foreign_tail
from service.components.embeddings import Embedder
from service.index.sites import site_domain
from service.index.store import DocumentEntry, DocumentWrite, IndexStore, StoredSentence
from service.language.entities import EntityTagger, tag_documents
from service.settings import IngestSettings

log = logging.getLogger(__name__)

# Bump when cleaning or segmentation changes, so that `make run` re-indexes old data.
# 7: sentences carry their entity labels (an index without them answers, types unknown).
# 8: documents carry their author, site domain, date source and the page's own URL (the
#    filters of /ask read them).
# 9: a document dated by nothing else takes the date its file name carries.
PIPELINE_VERSION = "9"

Status = Literal["added", "unchanged", "replaced", "failed", "removed"]


@dataclass(frozen=True)
class Outcome:
    source: str
    status: Status
    sentences: int = 0
    error: str | None = None


@dataclass(frozen=True)
class DocumentMeta:
    """What is known of a document besides its bytes, from where it was found (a feed
    entry's page URL and published date); it wins over what the page itself says."""

    url: str | None = None
    date: str | None = None

    def key(self) -> str:
        """Its part of the content hash: new metadata is a new version, as new text is."""
        return f"url={self.url or ''}|date={self.date or ''}"


@dataclass(frozen=True)
class PreparedDocument:
    """A document read, cleaned, split, embedded: ready to be written."""

    source: str
    doc_hash: str
    text: str
    title: str | None
    date: str | None
    sentences: list[Sentence]
    # From an HTML page's metadata (a byline in plain text).
    author: str | None
    site: str | None  # the domain of ``url``, else of the page's own hostname
    vectors: np.ndarray
    # The sentences' repaired text (``ParsedDocument.embed_texts``), which the tagger reads.
    repaired: list[str]
    # Their entity labels, when the parse tagged them (``ParsedDocument.labels``).
    labels: list[frozenset[str]] | None = None
    url: str | None = None
    date_source: str | None = None  # see ``DocumentEntry.date_source``


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    cache_hits: int | None = None  # sentence vectors found in the embedding cache
    embedded: int | None = None  # sentences the model embedded

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def sentences(self) -> int:
        return sum(o.sentences for o in self.outcomes if o.status != "failed")

    def changed(self) -> bool:
        """Whether the index changed (a document added, replaced or removed)."""
        return any(o.status in ("added", "replaced", "removed") for o in self.outcomes)

    def line(self) -> str:
        cache = ""
        if self.cache_hits is not None and self.embedded is not None:
            cache = f" ({self.embedded} embedded, {self.cache_hits} from cache)"
        return (
            f"{self.count('added')} added, {self.count('unchanged')} unchanged, "
            f"{self.count('replaced')} replaced, {self.count('removed')} removed, "
            f"{self.count('failed')} failed; {self.sentences} sentences{cache}; "
            f"{self.seconds:.1f} s"
        )


def content_hash(data: bytes, embedder_name: str, meta: DocumentMeta | None = None) -> str:
    """Identifies what the index holds for a file: its bytes, the pipeline and the model,
    and the metadata it came with, if any (a file without any hashes as it always did)."""
    h = hashlib.sha256()
    h.update(f"newsqa-pipeline:{PIPELINE_VERSION}|{embedder_name}|".encode())
    if meta is not None:
        h.update(f"meta:{meta.key()}|".encode())
    h.update(data)
    return h.hexdigest()


class Ingester:
    """Turns files into indexed sentences through one :class:`IndexStore`.

    With a ``tagger``, each written sentence carries its entity labels (one batched NER
    call per written group); without one, its labels are stored as unknown. With a
    ``split_cache`` (the cache file beside the index), paragraphs split before are not
    split again (``service.components.split_cache``).
    """

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        settings: IngestSettings,
        tagger: EntityTagger | None = None,
        split_cache: Path | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.tagger = tagger
        self.split_cache = split_cache

    def _parse(self, source: str, data: bytes) -> ParsedDocument:
        """Validate, decode, clean and split; raises :class:`DocumentError` on bad input."""
        parsed = parse_document(
            source, data, self.settings.suffixes, self.settings.max_document_bytes, self.split_cache
        )
        if isinstance(parsed, DocumentError):
            raise parsed
        return parsed

    def _finish(
        self, parsed: ParsedDocument, vectors: np.ndarray, meta: DocumentMeta | None = None
    ) -> PreparedDocument:
        doc, sentences, repaired = parsed.doc, parsed.sentences, parsed.embed_texts
        labels = parsed.labels
        drop = foreign_tail(vectors, self.settings.teaser_max_similarity)
        if drop:
            log.info("%s: dropping %d trailing teaser sentences", parsed.source, drop)
            sentences, vectors, repaired = sentences[:-drop], vectors[:-drop], repaired[:-drop]
            labels = labels[:-drop] if labels is not None else None
        # What it came with (a feed entry, a POST /documents field) wins over the page.
        url = (meta.url if meta else None) or doc.url
        date, date_source = doc.date, doc.date_source if doc.date else None
        if meta and meta.date:
            date, date_source = meta.date, "metadata"
        elif date is None and (date := date_in_name(parsed.source)):
            date_source = "file_name"
        return PreparedDocument(
            source=parsed.source,
            doc_hash=content_hash(parsed.data, self.embedder.name, meta),
            text=parsed.text,
            title=doc.title or _first_words(sentences[0].text),
            date=date,
            sentences=sentences,
            author=doc.byline,
            site=site_domain(url) or site_domain(doc.domain),
            vectors=vectors,
            repaired=repaired,
            labels=labels,
            url=url,
            date_source=date_source,
        )

    def prepare(
        self, source: str, data: bytes, meta: DocumentMeta | None = None
    ) -> PreparedDocument:
        parsed = self._parse(source, data)
        return self._finish(parsed, self.embedder.embed(parsed.embed_texts), meta)

    def embed_parsed(
        self, parsed: list[ParsedDocument | DocumentError]
    ) -> list[PreparedDocument | DocumentError]:
        """Embed parsed documents with one embedding call for all of them: the model runs
        full batches instead of one short batch per article."""
        vectors = self.embedder.embed(
            [t for p in parsed if not isinstance(p, DocumentError) for t in p.embed_texts]
        )
        out: list[PreparedDocument | DocumentError] = []
        at = 0
        for p in parsed:
            if isinstance(p, DocumentError):
                out.append(p)
                continue
            n = len(p.sentences)
            out.append(self._finish(p, vectors[at : at + n]))
            at += n
        return out

    def _entities(self, group: list[PreparedDocument]) -> list[list[frozenset[str] | None]]:
        """Each sentence's entity labels: the parse's (a bulk ingest tags as it parses),
        else from one tagger call for the rest of the group (the tagger reads repaired
        text, as the embedder does: repaired once, by the parse)."""
        if self.tagger is None:
            return [[None] * len(p.sentences) for p in group]
        tagged = iter(tag_documents(self.tagger, [p.repaired for p in group if p.labels is None]))
        return [list(p.labels if p.labels is not None else next(tagged)) for p in group]

    def _write(self, group: list[tuple[PreparedDocument, DocumentEntry | None]]) -> list[Outcome]:
        """Write prepared documents to the index in one group (see ``write_documents``)."""
        entities = self._entities([p for p, _ in group])
        self.store.write_documents(
            [
                DocumentWrite(
                    source=p.source,
                    doc_hash=p.doc_hash,
                    sentences=[
                        StoredSentence(
                            p.source, s.number, s.text, s.start, s.end, p.title, s.paragraph, e
                        )
                        for s, e in zip(p.sentences, labels, strict=True)
                    ],
                    vectors=p.vectors,
                    title=p.title,
                    date=p.date,
                    url=p.url,
                    author=p.author,
                    site=p.site,
                    date_source=p.date_source,
                )
                for (p, _), labels in zip(group, entities, strict=True)
            ]
        )
        return [
            Outcome(p.source, "added" if known is None else "replaced", len(p.sentences))
            for p, known in group
        ]

    def ingest_bytes(self, source: str, data: bytes, meta: DocumentMeta | None = None) -> Outcome:
        """Index one document; raises :class:`DocumentError` for input that cannot be indexed.
        With ``meta`` (a feed entry's page), its URL and date are the document's."""
        known = self.store.document(source)
        digest = content_hash(data, self.embedder.name, meta)
        if known is not None and known.doc_hash == digest:
            return Outcome(source, "unchanged", known.sentences)
        return self._write([(self.prepare(source, data, meta), known)])[0]

    def ingest_paths(self, paths: list[Path], progress: bool = False) -> Summary:
        """Index files; one bad file is reported as failed and does not stop the others.

        The manifest is read once for the run (not once per file). Changed files go in
        groups of ``settings.embed_group`` documents through three overlapping stages
        (``ingest.bulk``): parsed in worker processes, embedded in one call per group, and
        written to the index in a background thread, one write at a time, in order. Groups
        gather into writes of ``settings.write_min`` to ``settings.write_group`` documents
        (fewer when the oldest has waited ``settings.write_wait_s``): a Chroma call costs
        ~8 ms whatever its size and holds the GIL, so when the cache makes embedding
        cheap, fewer and larger writes keep up.
        """
        from tqdm import tqdm

        started = time.perf_counter()
        summary = Summary()
        stats = getattr(self.embedder, "stats", None)
        hits0, misses0 = (stats.hits, stats.misses) if stats else (0, 0)
        manifest = self.store.documents()
        bar = tqdm(total=len(paths), desc="indexing", unit="doc", disable=not progress)

        def changed() -> Iterator[list[tuple[str, bytes]]]:
            """Groups of changed files; a name never twice in one group (two folders with
            the same file name: both are written, in order, so the later one wins)."""
            group: list[tuple[str, bytes]] = []
            for path in paths:
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    log.warning("failed: %s: %s", path, exc)
                    summary.outcomes.append(Outcome(path.name, "failed", error=str(exc)))
                    bar.update(1)
                    continue
                known = manifest.get(path.name)
                if known is not None and known.doc_hash == content_hash(data, self.embedder.name):
                    summary.outcomes.append(Outcome(path.name, "unchanged", known.sentences))
                    bar.update(1)
                    continue
                if len(group) >= self.settings.embed_group or any(
                    source == path.name for source, _ in group
                ):
                    yield group
                    group = []
                group.append((path.name, data))
            if group:
                yield group

        def write(ready: list[tuple[PreparedDocument, DocumentEntry | None]], n: int) -> None:
            summary.outcomes.extend(self._write(ready))
            bar.update(n)

        workers = parse_workers(self.settings)
        pool = ParsePool(
            workers,
            self.settings.suffixes,
            self.settings.max_document_bytes,
            split_cache=self.split_cache,
            tagger=self.tagger,
        )
        with pool, BackgroundWriter() as writer:
            pending: list[tuple[PreparedDocument, DocumentEntry | None]] = []
            names: set[str] = set()  # pending's sources: a name is never twice in a write
            done = 0  # files the pending write accounts for (the failed ones too)
            since = 0.0  # when the oldest of them was ready

            def flush() -> None:
                nonlocal pending, done
                if done:
                    writer.submit(functools.partial(write, pending, done))
                pending, done = [], 0
                names.clear()

            def ripe() -> bool:
                """Whether a free writer should take what is pending (see
                ``settings.write_min``): enough of it, or the oldest has waited."""
                return (
                    len(pending) >= self.settings.write_min
                    or time.perf_counter() - since >= self.settings.write_wait_s
                )

            for group, parsed in pool.map(changed()):
                ready: list[tuple[PreparedDocument, DocumentEntry | None]] = []
                for (source, _), prepared in zip(group, self.embed_parsed(parsed), strict=True):
                    if isinstance(prepared, DocumentError):
                        log.warning("failed: %s: %s", source, prepared)
                        summary.outcomes.append(Outcome(source, "failed", error=str(prepared)))
                    else:
                        ready.append((prepared, manifest.get(prepared.source)))
                if any(p.source in names for p, _ in ready):
                    flush()
                if not done:
                    since = time.perf_counter()
                pending.extend(ready)
                names.update(p.source for p, _ in ready)
                done += len(group)
                if len(pending) >= self.settings.write_group or (not writer.busy() and ripe()):
                    flush()
            flush()
        bar.close()
        if stats:
            summary.cache_hits = stats.hits - hits0
            summary.embedded = stats.misses - misses0
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
