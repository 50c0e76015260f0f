"""Where a citation comes from: its document's title, date and URL, and a check of its text.

The document's metadata is its manifest entry (``DocumentEntry``: what ``python -m
ingest``, the documents API and the feeds wrote), read from the same snapshot that
retrieval used, the one record ``GET /sources`` shows too. ``verified`` says the cited
text is, word for word, the sentence the citation names in that snapshot, so a client may
mark it as checked rather than trust the answerer.
"""

from __future__ import annotations

from dataclasses import replace

from service.answering.base import Citation
from service.answering.links import with_text_fragment
from service.index.corpus import CorpusSnapshot


def _same_words(a: str, b: str) -> bool:
    return a.split() == b.split()


def with_provenance(citations: list[Citation], snap: CorpusSnapshot) -> list[Citation]:
    """The citations with their document's title, date, url and sentence link, verified."""
    out = []
    for c in citations:
        doc = snap.documents.get(c.source)
        stored = snap.get(c.source, c.sentence)
        url = doc.url if doc else None
        out.append(
            replace(
                c,
                title=doc.title if doc else None,
                date=doc.date if doc else None,
                url=url,
                site=doc.site if doc else None,
                link=with_text_fragment(url, c.text) if url else None,
                verified=stored is not None and _same_words(stored.text, c.text),
            )
        )
    return out
