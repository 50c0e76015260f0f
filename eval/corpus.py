"""The sentences as the service numbers them, from the ingester or from a running service.

Gold evidence names sentences by number, and numbers move when ingestion changes. Two ways
to get the current numbering:

- ``from_ingest``: run the project's cleaning and sentence splitting on the corpus files
  (fast, no index, no model); this is what the tests use;
- ``from_api``: ask a service (in-process or over HTTP) for ``GET /sources/{source}``,
  which is the numbering citations actually carry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

# source file name -> sentence number -> sentence text (as stored: white space collapsed)
SentenceTable = dict[str, dict[int, str]]


def from_ingest(corpus_dir: Path | None = None, exact: bool = True) -> SentenceTable:
    """Number the sentences of every corpus file the way the ingester does.

    ``exact`` runs the ingester's own preparation (``Ingester.prepare``: decoding, cleaning,
    splitting, and the embedding-based drop of unrelated closing teasers), which loads the
    embedding model; without it, only decoding, cleaning and splitting run (no model; the
    numbering is the same except that closing teasers are still there).
    """
    from service.settings import Settings

    settings = Settings()
    corpus_dir = corpus_dir or settings.data.corpus_dir
    files = sorted(
        p for p in corpus_dir.iterdir() if p.is_file() and p.suffix in settings.ingest.suffixes
    )
    table: SentenceTable = {}
    if exact:
        from ingest.pipeline import Ingester
        from service.components.embeddings import make_embedder

        embedder = make_embedder(settings.embedding, settings.llm)
        # prepare() reads, cleans, splits and embeds; it never touches the store.
        ingester = Ingester(None, embedder, settings.ingest)  # type: ignore[arg-type]
        for path in files:
            doc = ingester.prepare(path.name, path.read_bytes())
            table[path.name] = {s.number: s.text for s in doc.sentences}
        return table

    from ingest.loaders import read_document
    from ingest.sentences import split_sentences

    for path in files:
        text, clean_doc = read_document(path.name, path.read_bytes())
        table[path.name] = {s.number: s.text for s in split_sentences(text, clean_doc.prose)}
    return table


def from_api(get_json: Callable[[str], Any]) -> SentenceTable:
    """Read every document's sentences through the HTTP contract (``GET /sources/...``)."""
    table: SentenceTable = {}
    for doc in get_json("/sources")["sources"]:
        body = get_json(f"/sources/{doc['source']}")
        table[doc["source"]] = {int(s["sentence"]): s["text"] for s in body["sentences"]}
    return table
