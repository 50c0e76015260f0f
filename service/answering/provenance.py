"""Where a citation comes from: its document's title, date and URL, and a check of its text.

The document's metadata is its manifest entry (``DocumentEntry``: what ``python -m
ingest``, the documents API and the feeds wrote), read from the same snapshot that
retrieval used, the one record ``GET /sources`` shows too. ``verified`` says the cited
text is, word for word, the sentence the citation names in that snapshot, so a client may
mark it as checked rather than trust the answerer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from service.answering.base import CarrierRef, Citation
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
                also_carried_by=tuple(_carrier(k, c.text, snap) for k in c.also_carried_by),
            )
        )
    return out


def _carrier(k: CarrierRef, text: str, snap: CorpusSnapshot) -> CarrierRef:
    """A copy's metadata, and whether its sentence is, word for word, the cited text."""
    doc = snap.documents.get(k.source)
    stored = snap.get(k.source, k.sentence)
    url = doc.url if doc else None
    return replace(
        k,
        title=doc.title if doc else None,
        date=doc.date if doc else None,
        url=url,
        site=doc.site if doc else None,
        link=with_text_fragment(url, text) if url else None,
        verified=stored is not None and _same_words(stored.text, text),
    )


def reported_as_of(citations: list[Citation]) -> str | None:
    """The newest date among the cited documents (ISO), None when none is dated: what the
    answer is "as of"."""
    days = [c.date[:10] for c in citations if c.date and day_of(c.date) is not None]
    return max(days) if days else None


def as_of_note(day: str) -> str:
    """What an answer from sources dated up to ``day`` ends with: " (as of 3 December 2024)"."""
    d = day_of(day)
    return f" (as of {d.day} {d:%B} {d.year})" if d else ""


def day_of(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
