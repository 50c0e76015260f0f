"""``python -m ingest --export FILE`` and ``--import FILE``: the index as one portable file.

The archive's format is ``service/index/archive.py``'s. Export reads the index: directly
from a Chroma server or from an embedded folder no one else holds, and through the
service's ``GET /documents/export/archive.tar.gz`` when a running service owns the
embedded folder (it keeps serving meanwhile: the export is a read). Import writes, so it
needs the index to itself: into an empty index only, never through a service.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx

from service.components.embedding_cache import make_cached
from service.components.embeddings import ingest_threads, make_embedder
from service.index.archive import (
    ArchiveError,
    ArchiveSummary,
    export_archive,
    import_archive,
    read_archive,
)
from service.index.store import IndexStore, make_client
from service.settings import Settings

EXIT_REFUSED = 2  # a damaged archive, an index that is not empty, a service in the way


def _open_store(settings: Settings) -> IndexStore:
    name = make_embedder(settings.embedding, settings.llm).name  # no model load
    return IndexStore(make_client(settings), settings.chroma.collection, name)


def _line(verb: str, path: Path, s: ArchiveSummary) -> str:
    vectors = f", {s.vectors} vectors" if s.vectors else ""
    return (
        f"{verb} {path}: {s.documents} documents, {s.sentences} sentences{vectors} "
        f"({s.embedder}, {s.dimension or '?'} dimensions)"
    )


def export_local(settings: Settings, target: Path, vectors: bool) -> int:
    summary = export_archive(_open_store(settings), target, vectors=vectors)
    print(_line("exported", target, summary))
    return 0


def export_through_service(
    url: str, key: str | None, target: Path, vectors: bool, quiet: bool
) -> int:
    """The archive the running service writes of its own index, streamed to ``target``
    (beside it first, then renamed)."""
    if not quiet:
        print(f"a service owns the index: exporting through {url}", file=sys.stderr)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    part = target.with_name(f".{target.name}.part")
    try:
        with httpx.stream(
            "GET",
            f"{url}/documents/export/archive.tar.gz",
            params={"vectors": str(vectors).lower()},
            headers=headers,
            timeout=600.0,
        ) as r:
            if r.status_code != 200:
                r.read()
                why = f"GET /documents/export/archive.tar.gz: {r.status_code} {r.text}"
                print(f"error: {why}", file=sys.stderr)
                return EXIT_REFUSED
            with part.open("wb") as out:
                for chunk in r.iter_bytes():
                    out.write(chunk)
        archive = read_archive(part)  # checked before it takes the name
    except (httpx.HTTPError, ArchiveError) as exc:
        part.unlink(missing_ok=True)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    os.replace(part, target)
    counts = archive.manifest["counts"]
    print(
        f"exported {target}: {counts['documents']} documents, {counts['sentences']} sentences"
        + (f", {counts['vectors']} vectors" if counts["vectors"] else "")
        + f" ({archive.embedder}, {archive.manifest['embedding']['dimension']} dimensions)"
    )
    return 0


def import_local(settings: Settings, source: Path, progress: bool) -> int:
    """Restore ``source`` into the empty index of ``settings``; exit 2 when refused."""
    try:
        archive = read_archive(source)
        store = _open_store(settings)
        if store.document_count():  # before any model is loaded
            embedded = settings.chroma.mode == "embedded"
            where = settings.chroma_path if embedded else f"collection {store.name}"
            raise ArchiveError(
                f"the index in {where} is not empty ({store.document_count()} documents): "
                "--import restores into an empty data folder"
            )
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    embedder = make_cached(
        make_embedder(settings.embedding, settings.llm, ingest_threads(settings.embedding)),
        settings,
    )
    if archive.embedder != embedder.name or archive.vectors is None:
        why = "has no vectors" if archive.vectors is None else f"was made by {archive.embedder}"
        print(f"the archive {why}: embedding its sentences with {embedder.name}", file=sys.stderr)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(archive.documents), unit="doc", desc="import")
    try:
        summary = import_archive(store, archive, embedder.embed, bar.update if bar else None)
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        if bar is not None:
            bar.close()
    print(_line("imported", source, summary))
    return 0
