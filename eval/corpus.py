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


def default_corpus_dir() -> Path:
    from service.settings import Settings

    return Settings().data.corpus_dir


def from_ingest(corpus_dir: Path | None = None) -> SentenceTable:
    """Number the sentences of every corpus file the way the ingester does."""
    from ingest.cleaning import clean
    from ingest.sentences import split_sentences

    corpus_dir = corpus_dir or default_corpus_dir()
    table: SentenceTable = {}
    for path in sorted(p for p in corpus_dir.iterdir() if p.is_file()):
        text = path.read_text(encoding="utf-8")
        sentences = split_sentences(text, clean(text).prose)
        table[path.name] = {s.number: s.text for s in sentences}
    return table


def from_api(get_json: Callable[[str], Any]) -> SentenceTable:
    """Read every document's sentences through the HTTP contract (``GET /sources/...``)."""
    table: SentenceTable = {}
    for doc in get_json("/sources")["sources"]:
        body = get_json(f"/sources/{doc['source']}")
        table[doc["source"]] = {int(s["sentence"]): s["text"] for s in body["sentences"]}
    return table
