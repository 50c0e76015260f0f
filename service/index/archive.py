"""One portable file holding an index: ``python -m ingest --export FILE`` / ``--import FILE``.

The archive is a gzip-compressed tar file with these members, in this order:

- ``manifest.json``: the format and its version, when and from which index and model it
  was written, the counts, and the size and sha256 of every other member;
- ``documents.jsonl``: one line per document: its manifest entry (version, content hash,
  title, date, url, when it was written) and its sentences as the index stores them
  (number, span, paragraph, entity labels, text);
- ``vectors.npy`` and ``vector_keys.json`` (optional, ``--vectors``): one float32 row per
  distinct sentence text and the texts' keys (``store.text_key``), so that an import
  with the same model embeds nothing.

Why the standard library (``tarfile``, ``gzip``, ``hashlib``, ``json``) and no archive
package: the content is a few flat members read and written whole, any ``tar`` reads it
without this project, and nothing here needs random access or encryption. The member
hashes in the manifest catch a damaged or truncated file before anything is written.

An export reads each document whole at the version its manifest names (a document
replaced while the export runs is read again at its new version); an import writes into an
empty index only, with the index's own commit point: every contents record and vector
first (invisible to readers), then the manifest records in one collection that is renamed
into place at the end, so a killed import leaves an index that is still empty.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from service.components.reader import file_sha256
from service.index.store import (
    DocumentEntry,
    DocumentWrite,
    IndexStore,
    StoredSentence,
    contents_id,
    text_key,
)
from service.language.entities import decode_labels
from service.language.text import repair_text

FORMAT = "newsqa-index-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DOCUMENTS = "documents.jsonl"
VECTORS = "vectors.npy"
VECTOR_KEYS = "vector_keys.json"
_READ_BATCH = 200  # documents per contents read
_WRITE_GROUP = 200  # documents per write group at import


class ArchiveError(ValueError):
    """An archive that cannot be imported: damaged, truncated, of an unknown format, or
    an index that is not empty."""


@dataclass(frozen=True)
class ArchiveSummary:
    documents: int
    sentences: int
    vectors: int
    embedder: str
    dimension: int | None


# -- export ---------------------------------------------------------------------------------
def _document_lines(store: IndexStore) -> Iterator[tuple[dict[str, Any], list[list[Any]]]]:
    """(entry, sentence rows) of every current document, each whole at one version."""
    docs = store.documents()
    sources = sorted(docs)
    for lo in range(0, len(sources), _READ_BATCH):
        part = {s: docs[s] for s in sources[lo : lo + _READ_BATCH]}
        while part:
            got = store.contents.get(
                ids=[contents_id(s, e.version) for s, e in part.items()], include=["metadatas"]
            )
            found = dict(zip(got["ids"], got["metadatas"] or [], strict=True))
            again: dict[str, DocumentEntry] = {}
            for source, entry in part.items():
                meta = found.get(contents_id(source, entry.version))
                if meta is not None:
                    rows = json.loads(str(dict(meta).get("rows") or "[]"))
                    yield _entry_json(entry), rows
                    continue
                # Replaced (or removed) since the manifest was read: read it again.
                now = store.document(source)
                if now is not None and now.version == entry.version:
                    raise ArchiveError(f"{source}: its current version has no contents record")
                if now is not None:
                    again[source] = now
            part = again


def _entry_json(e: DocumentEntry) -> dict[str, Any]:
    return {
        "source": e.source,
        "version": e.version,
        "doc_hash": e.doc_hash,
        "title": e.title,
        "date": e.date,
        "url": e.url,
        "author": e.author,
        "site": e.site,
        "date_source": e.date_source,
        "updated_at": e.updated_at,
        "sentences": e.sentences,
    }


def export_archive(store: IndexStore, target: Path, vectors: bool = False) -> ArchiveSummary:
    """Write the index of ``store`` to ``target`` (written beside it, then renamed: no
    half-written archive ever has the name)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        work = Path(tmp)
        n_docs = n_sentences = 0
        keys: dict[str, None] = {}
        with (work / DOCUMENTS).open("w", encoding="utf-8") as out:
            for entry, rows in _document_lines(store):
                out.write(json.dumps({**entry, "rows": rows}, ensure_ascii=False) + "\n")
                n_docs += 1
                n_sentences += len(rows)
                keys.update((text_key(str(row[5])), None) for row in rows)
        members = [DOCUMENTS]
        n_vectors = 0
        if vectors:
            ordered = sorted(keys)
            matrix = _vectors(store, ordered)
            np.save(work / VECTORS, matrix, allow_pickle=False)
            (work / VECTOR_KEYS).write_text(json.dumps(ordered), encoding="utf-8")
            members += [VECTORS, VECTOR_KEYS]
            n_vectors = len(ordered)
        dimension = store.dimension()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "collection": store.name,
            "embedding": {"model": store.embedding.embedder, "dimension": dimension},
            "counts": {"documents": n_docs, "sentences": n_sentences, "vectors": n_vectors},
            "members": {
                m: {"bytes": (work / m).stat().st_size, "sha256": file_sha256(work / m)}
                for m in members
            },
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        part = work / "archive.part"
        with tarfile.open(part, "w:gz") as tar:
            for m in [MANIFEST, *members]:
                tar.add(work / m, arcname=m)
        os.replace(part, target)
    return ArchiveSummary(n_docs, n_sentences, n_vectors, store.embedding.embedder, dimension)


def _vectors(store: IndexStore, keys: list[str]) -> np.ndarray:
    got_all: dict[str, Any] = {}
    for lo in range(0, len(keys), 5_000):
        got = store.vectors.get(ids=keys[lo : lo + 5_000], include=["embeddings"])
        emb = got["embeddings"] if got["embeddings"] is not None else []
        got_all.update(zip(got["ids"], emb, strict=True))
    missing = [k for k in keys if k not in got_all]
    if missing:
        raise ArchiveError(f"{len(missing)} sentence vectors are missing from the index")
    return np.asarray([got_all[k] for k in keys], dtype=np.float32).reshape(len(keys), -1)


# -- import ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Archive:
    """An archive read and checked: its manifest, documents and (optional) vectors."""

    manifest: dict[str, Any]
    documents: list[dict[str, Any]]
    vectors: dict[str, np.ndarray] | None

    @property
    def embedder(self) -> str:
        return str(self.manifest["embedding"]["model"])


def read_archive(path: Path) -> Archive:
    """Read and check an archive whole; :class:`ArchiveError` says what is wrong."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            files: dict[str, bytes] = {}
            for member in tar:
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is None:
                    raise ArchiveError(f"{path}: unexpected member {member.name!r}")
                files[member.name] = handle.read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        why = f"{path} is not a readable archive (damaged or truncated?): {exc}"
        raise ArchiveError(why) from None
    if MANIFEST not in files:
        raise ArchiveError(f"{path} has no {MANIFEST}: not an index archive")
    try:
        manifest = json.loads(files[MANIFEST])
    except ValueError as exc:
        raise ArchiveError(f"{path}: {MANIFEST} is not JSON: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise ArchiveError(f"{path} is not an index archive (format {manifest.get('format')!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(
            f"{path} has format version {manifest.get('format_version')!r}; this version of "
            f"newsqa reads version {FORMAT_VERSION}"
        )
    for name, want in manifest["members"].items():
        data = files.get(name)
        if data is None:
            raise ArchiveError(f"{path}: member {name} is missing (truncated?)")
        if len(data) != want["bytes"] or hashlib.sha256(data).hexdigest() != want["sha256"]:
            raise ArchiveError(f"{path}: member {name} does not match its sha256 (damaged)")
    documents = [json.loads(line) for line in files[DOCUMENTS].decode("utf-8").splitlines()]
    counts = manifest["counts"]
    if len(documents) != counts["documents"]:
        raise ArchiveError(f"{path}: {len(documents)} documents, the manifest says {counts}")
    vectors = None
    if VECTORS in manifest["members"]:
        matrix = np.load(io.BytesIO(files[VECTORS]), allow_pickle=False)
        keys = json.loads(files[VECTOR_KEYS])
        vectors = dict(zip(keys, np.asarray(matrix, dtype=np.float32), strict=True))
    return Archive(manifest, documents, vectors)


def _writes(doc: dict[str, Any], vectors: np.ndarray) -> DocumentWrite:
    sentences = [
        StoredSentence(
            source=doc["source"],
            number=int(number),
            text=str(text),
            start=int(start),
            end=int(end),
            title=doc["title"],
            paragraph=int(paragraph),
            entities=decode_labels(labels),
        )
        for number, start, end, paragraph, labels, text in doc["rows"]
    ]
    return DocumentWrite(
        source=doc["source"],
        doc_hash=doc["doc_hash"],
        sentences=sentences,
        vectors=vectors,
        title=doc["title"],
        date=doc["date"],
        url=doc["url"],
        # an archive written before documents kept these has none of them
        author=doc.get("author"),
        site=doc.get("site"),
        date_source=doc.get("date_source"),
        updated_at=float(doc["updated_at"]) or None,
    )


def import_archive(
    store: IndexStore,
    archive: Archive,
    embed: Callable[[list[str]], np.ndarray],
    progress: Callable[[int], object] | None = None,
) -> ArchiveSummary:
    """Restore ``archive`` into the empty index of ``store``. Its vectors are used when
    they are the configured model's; otherwise (or without vectors) ``embed`` makes them
    (the caller's embedder, behind the content-addressed cache)."""
    if store.document_count():
        raise ArchiveError(
            f"index {store.name!r} is not empty ({store.document_count()} documents): "
            "import restores into an empty data folder"
        )
    own = archive.vectors if archive.embedder == store.embedder_name else None
    sentences = 0
    for lo in range(0, len(archive.documents), _WRITE_GROUP):
        group = archive.documents[lo : lo + _WRITE_GROUP]
        texts = [str(row[5]) for d in group for row in d["rows"]]
        if own is not None:
            matrix = np.stack([own[text_key(t)] for t in texts]) if texts else None
        else:
            # What the ingester embeds: the repaired text (ingest/parse.py), not the stored one.
            matrix = embed([repair_text(t) for t in texts]) if texts else None
        at = 0
        writes = []
        for d in group:
            n = len(d["rows"])
            part = matrix[at : at + n] if matrix is not None else np.zeros((0, 0), np.float32)
            writes.append(_writes(d, part))
            at += n
        store.stage_documents(writes)
        sentences += len(texts)
        if progress is not None:
            progress(len(group))
    store.commit_staged()
    return ArchiveSummary(
        len(archive.documents), sentences, len(own or {}), store.embedder_name, store.dimension()
    )
