"""``python -m ingest PATH...``: index files and folders, with a progress bar and a summary.

python -m ingest data/articles            # add new, replace changed, keep unchanged
python -m ingest --sync data/articles     # ... and remove documents no longer there
python -m ingest --remove 000_x.txt       # remove one document
python -m ingest --check data/articles    # exit 0 if the index is up to date, 3 if not
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ingest.loaders import DocumentError, find_documents
from ingest.pipeline import Ingester, Summary, content_hash
from service.components.embedding_cache import make_cached
from service.components.embeddings import ingest_threads, make_embedder
from service.index.errors import IndexUnavailable
from service.index.store import IndexStore, make_client
from service.settings import Settings


def _ingester(settings: Settings) -> Ingester:
    embedder = make_embedder(
        settings.embedding, settings.llm, threads=ingest_threads(settings.embedding)
    )
    store = IndexStore(make_client(settings), settings.chroma.collection, embedder.name)
    return Ingester(store, make_cached(embedder, settings), settings.ingest)


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
    try:
        ingester = _ingester(settings)
        files = find_documents(args.paths, settings.ingest.suffixes)
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
    except (DocumentError, IndexUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for outcome in summary.outcomes:
        if outcome.status == "failed":
            print(f"failed: {outcome.source}: {outcome.error}", file=sys.stderr)
    print(summary.line())
    return 1 if summary.count("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
