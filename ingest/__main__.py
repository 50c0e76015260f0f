"""``python -m ingest PATH...``: index files and folders, with a progress bar and a summary.

python -m ingest data/articles            # add new, replace changed, keep unchanged
python -m ingest --sync data/articles     # ... and remove documents no longer there
python -m ingest --remove 000_x.txt       # remove one document
python -m ingest --check data/articles    # exit 0 if the index is up to date, 3 if not
python -m ingest --feed URL --feed URL2   # fetch and index the pages of feeds or sitemaps
python -m ingest --feeds                  # ... of every feed in the setting feeds.urls
python -m ingest --export FILE [--vectors] # the index as one archive (docs/backup.md)
python -m ingest --import FILE            # restore an archive into an empty index
python -m ingest --reembed                # re-embed every sentence with the configured model

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

from ingest.backup import EXIT_REFUSED, export_local, export_through_service, import_local
from ingest.bulk import parse_workers, start_parse_server
from ingest.feed_sync import PollReport, Write, poll_feeds, write_with
from ingest.loaders import DocumentError, find_documents
from ingest.pipeline import Ingester, Summary, content_hash
from ingest.reembed import reembed
from ingest.remote import ServiceWriter, run_remote
from service.components.embedding_cache import make_cached
from service.components.embeddings import ingest_threads, make_embedder
from service.components.entity_cache import make_ingest_tagger
from service.index import ownership
from service.index.archive import ArchiveError
from service.index.corpus import IndexState
from service.index.errors import EmbedderMismatch, IndexUnavailable
from service.index.snapshot_file import snapshot_files
from service.index.store import IndexStore, make_client
from service.index.stories import story_rule
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
    parser.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="URL",
        help="an RSS/Atom feed or XML sitemap whose pages to index (repeatable)",
    )
    parser.add_argument(
        "--feeds", action="store_true", help="index the pages of every feed in feeds.urls"
    )
    parser.add_argument(
        "--export", type=Path, metavar="FILE", help="write the index to one archive file"
    )
    parser.add_argument(
        "--vectors", action="store_true", help="with --export: keep the sentence vectors too"
    )
    parser.add_argument(
        "--import",
        dest="import_file",
        type=Path,
        metavar="FILE",
        help="restore an archive into an empty index",
    )
    parser.add_argument(
        "--reembed",
        action="store_true",
        help="re-embed every stored sentence with the configured embedding model",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    maintenance = [a for a in ("export", "import_file", "reembed") if getattr(args, a)]
    if maintenance and (
        len(maintenance) > 1 or args.paths or args.remove or args.feed or args.feeds or args.check
    ):
        parser.error("--export, --import and --reembed each run alone")
    if args.check and (args.feed or args.feeds):
        parser.error("--check compares files; a feed's pages are only known by fetching them")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings()
    args.feed = list(dict.fromkeys(args.feed + (settings.feeds.urls if args.feeds else [])))
    if maintenance:
        return _maintain(args, settings)
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


def _maintain(args: argparse.Namespace, settings: Settings) -> int:
    """--export, --import or --reembed, with the index's owner as for an ingest."""
    if settings.chroma.mode != "embedded":
        return _maintain_local(args, settings)
    folder = settings.chroma_path
    try:
        ownership.acquire(folder, "ingest")
    except ownership.OwnedElsewhere as exc:
        owner = exc.owner
        if owner is not None and owner.kind == "service":
            if owner.chroma_port and not args.import_file:
                # A service with several workers serves the folder with a Chroma server:
                # read and write through it, as beside any Chroma server, while it serves.
                return _maintain_local(args, _through_chroma(settings, owner.chroma_port))
            if owner.url and args.export:
                key = settings.ingest.service_key
                secret = key.get_secret_value() if key else None
                return export_through_service(
                    owner.url, secret, args.export, args.vectors, args.quiet
                )
            what = (
                "--import restores into an empty index"
                if args.import_file
                else "it serves the folder in-process; to re-embed while serving, serve it "
                "with several workers (server.workers) or from a Chroma server"
            )
            print(f"error: {exc}: stop it first ({what})", file=sys.stderr)
            return EXIT_REFUSED
        print(f"{exc}; waiting for it to finish", file=sys.stderr)
        ownership.acquire(folder, "ingest", wait_s=WAIT_FOR_INGEST_S)
    try:
        return _maintain_local(args, settings)
    finally:
        ownership.release(folder)


def _through_chroma(settings: Settings, port: int) -> Settings:
    """``settings`` pointed at the Chroma server on loopback ``port``."""
    chroma = settings.chroma.model_copy(update={"mode": "http", "host": "127.0.0.1", "port": port})
    return settings.model_copy(update={"chroma": chroma})


def _maintain_local(args: argparse.Namespace, settings: Settings) -> int:
    progress = not args.quiet and sys.stderr.isatty()
    try:
        if args.export:
            return export_local(settings, args.export, args.vectors)
        if args.import_file:
            return import_local(settings, args.import_file, progress)
        return reembed(
            settings,
            progress,
            owns_index=settings.chroma.mode == "embedded",  # then no one else reads it
            lines=not args.quiet and not progress,
            on_swapped=lambda store: _keep_snapshot(settings, store, quiet=args.quiet),
        )
    except (IndexUnavailable, EmbedderMismatch, ArchiveError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED


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
        report = _poll(args, settings, writer.put_bytes)
    except (DocumentError, httpx.HTTPError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        writer.close()
    if summary is None:
        print("index is stale" if stale else "index is up to date")
        return 3 if stale else 0
    if report is not None:
        summary.outcomes.extend(report.summary.outcomes)
        summary.seconds += report.summary.seconds
    return _report(summary, report)


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
        report = _poll(args, settings, write_with(ingester))
        if report is not None:
            summary.outcomes.extend(report.summary.outcomes)
            summary.seconds += report.summary.seconds
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
    except (DocumentError, IndexUnavailable, EmbedderMismatch) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _report(summary, report)


def _poll(args: argparse.Namespace, settings: Settings, write: Write) -> PollReport | None:
    """The pages of ``--feed`` (and ``--feeds``) URLs, or None when none was named."""
    if not args.feed:
        return None
    report = poll_feeds(
        args.feed,
        settings.feeds,
        write,
        settings.ingest.max_document_bytes,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    for feed in report.failed_feeds():
        print(f"feed failed: {feed.url}: {feed.error}", file=sys.stderr)
    for url, _reason in report.skipped:
        print(f"skipped (robots.txt): {url}", file=sys.stderr)
    return report


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
    state = IndexState(
        store,
        retrieval.name_similarity,
        0,
        retrieval.exact_dense_max,
        files,
        story_rule=story_rule(settings),
    )
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


def _report(summary: Summary, feeds: PollReport | None = None) -> int:
    for outcome in summary.outcomes:
        if outcome.status == "failed":
            print(f"failed: {outcome.source}: {outcome.error}", file=sys.stderr)
    print(summary.line())
    if feeds is not None:
        print(
            f"feeds: {len(feeds.feeds)} polled, {len(feeds.failed_feeds())} failed, "
            f"{len(feeds.skipped)} pages disallowed by robots.txt"
        )
    failed_feeds = feeds is not None and bool(feeds.failed_feeds())
    return 1 if summary.count("failed") or failed_feeds else 0


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
