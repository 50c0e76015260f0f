"""``python -m ingest PATH...``: index files and folders, with a progress bar and a summary.

python -m ingest data/articles            # add new, replace changed, keep unchanged
python -m ingest --sync data/articles     # ... and remove documents no longer there
python -m ingest --remove 000_x.txt       # remove one document
python -m ingest --check data/articles    # exit 0 if the index is up to date, 3 if not

With the embedded index, a running service owns the folder: the CLI then sends its
documents through the service's document API (service/index/ownership.py).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import httpx

from ingest.bulk import parse_workers, start_parse_server
from ingest.loaders import DocumentError, find_documents
from ingest.pipeline import Ingester, Summary, content_hash
from ingest.remote import ServiceWriter, run_remote
from service.components.embedding_cache import make_cached
from service.components.embeddings import ingest_threads, make_embedder
from service.components.entity_cache import make_ingest_tagger
from service.index import ownership
from service.index.corpus import IndexState
from service.index.errors import IndexUnavailable
from service.index.snapshot_file import snapshot_files
from service.index.store import IndexStore, make_client
from service.settings import Settings

WAIT_FOR_INGEST_S = 600.0  # another `python -m ingest` writing the same folder


def _ingester(settings: Settings) -> Ingester:
    embedder = make_embedder(
        settings.embedding, settings.llm, threads=ingest_threads(settings.embedding)
    )
    store = IndexStore(make_client(settings), settings.chroma.collection, embedder.name)
    return Ingester(
        store,
        make_cached(embedder, settings),
        settings.ingest,
        make_ingest_tagger(settings),
        settings.embedding_cache_path if settings.ingest.split_cache else None,
    )


def is_stale(ingester: Ingester, files: list[Path], sync: bool) -> bool:
    """Whether indexing ``files`` would change anything (content hashes differ)."""
    docs = ingester.store.documents()
    for f in files:
        known = docs.get(f.name)
        if known is None or known.doc_hash != content_hash(f.read_bytes(), ingester.embedder.name):
            return True
    return sync and bool(set(docs) - {f.name for f in files})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders to index")
    parser.add_argument("--sync", action="store_true", help="remove documents not in PATHS")
    parser.add_argument(
        "--remove", nargs="+", default=[], metavar="SOURCE", help="remove documents"
    )
    parser.add_argument(
        "--check", action="store_true", help="only report whether the index is stale"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings()
    if settings.chroma.mode != "embedded":
        return _run_local(args, settings)  # a Chroma server takes writers from anywhere
    folder = settings.chroma_path
    try:
        ownership.acquire(folder, "ingest")
    except ownership.OwnedElsewhere as exc:
        if exc.owner is not None and exc.owner.kind == "service" and exc.owner.url:
            return _run_through_service(args, settings, exc.owner.url)
        print(f"{exc}; waiting for it to finish", file=sys.stderr)
        ownership.acquire(folder, "ingest", wait_s=WAIT_FOR_INGEST_S)
    try:
        return _run_local(args, settings)
    finally:
        ownership.release(folder)


def _run_through_service(args: argparse.Namespace, settings: Settings, url: str) -> int:
    if not args.quiet:
        print(f"a service owns {settings.chroma_path}: writing through {url}", file=sys.stderr)
    key = settings.ingest.service_key
    writer = ServiceWriter(url, key.get_secret_value() if key else None)
    try:
        files = find_documents(args.paths, settings.ingest.suffixes)
        embedder_name = make_embedder(settings.embedding, settings.llm).name  # no model load
        summary, stale = run_remote(
            writer, files, args.remove, args.sync, args.check, embedder_name
        )
    except (DocumentError, httpx.HTTPError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        writer.close()
    if summary is None:
        print("index is stale" if stale else "index is up to date")
        return 3 if stale else 0
    return _report(summary)


def _run_local(args: argparse.Namespace, settings: Settings) -> int:
    try:
        files = find_documents(args.paths, settings.ingest.suffixes)
        pooled = parse_workers(settings.ingest) > 1 and len(files) > settings.ingest.embed_group
        if pooled and not args.check:
            start_parse_server()  # a pool will parse: its imports overlap ours from here
        ingester = _ingester(settings)
        if args.check:
            stale = is_stale(ingester, files, args.sync)
            print("index is stale" if stale else "index is up to date")
            return 3 if stale else 0
        summary = Summary()
        if files:
            summary = ingester.ingest_paths(files, progress=not args.quiet and sys.stderr.isatty())
        for source in args.remove:
            summary.outcomes.append(ingester.remove(source))
        if args.sync:
            summary.outcomes.extend(ingester.prune({f.name for f in files}))
        if summary.count("replaced") or summary.count("removed"):
            removed = ingester.store.collect_garbage()  # texts no document uses any more
            if removed and not args.quiet:
                print(f"removed {removed} unused sentence vectors", file=sys.stderr)
        if summary.changed():
            _keep_snapshot(settings, ingester.store, quiet=args.quiet)
    except (DocumentError, IndexUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _report(summary)


def _keep_snapshot(settings: Settings, store: IndexStore, quiet: bool) -> None:
    """Build the service's snapshot of the index now and keep it on disk, so that the
    service's next start reads it instead of rebuilding it from Chroma (see
    ``service.index.snapshot_file``). It starts from the file a previous run or the
    service left, so only the documents changed since are read again."""
    files = snapshot_files(settings, store)
    if files is None:
        return
    started = time.perf_counter()
    retrieval = settings.retrieval
    state = IndexState(store, retrieval.name_similarity, 0, retrieval.exact_dense_max, files)
    try:
        path = state.save_now()
    except OSError as exc:  # the index is written; only the next start is slower
        print(f"warning: could not keep the index snapshot: {exc}", file=sys.stderr)
        return
    if path is not None and not quiet:
        print(
            f"snapshot for the service kept in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )


def _report(summary: Summary) -> int:
    for outcome in summary.outcomes:
        if outcome.status == "failed":
            print(f"failed: {outcome.source}: {outcome.error}", file=sys.stderr)
    print(summary.line())
    return 1 if summary.count("failed") else 0


def run(argv: list[str] | None = None) -> int:
    """:func:`main`, with Ctrl-C reported in one line (exit 130) instead of a traceback.
    Nothing is lost by it: groups are written whole and in order (``ingest.bulk``), a
    document half written is never read (``service.index.store``), and the next run
    skips what is in and indexes the rest."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        print(
            "\ninterrupted: the documents written so far are indexed, whole; "
            "run the same command again to index the rest",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(run())
