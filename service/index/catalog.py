"""Which documents a filter admits, and which sentence positions they hold.

A request may narrow the archive (``sources``, ``sites``, ``date_from``/``date_to``,
``authors``: :class:`DocumentFilter`). Retrieval then searches only the admitted
documents' sentences (:class:`Scope`), on the dense and the BM25 side alike, instead of
dropping what the whole archive returned (a filter that admits 1 % of the archive would
otherwise find its answers cut from a list of the whole archive's best).

Chroma's ``where`` cannot carry the filter: a vector record is one distinct sentence
text, which many documents may carry (a wire story republished by ten sites is one
record), so a record has no one source, site or date. The snapshot knows which sentences
carry each text; the filter is applied there.

The :class:`Catalog` is built with each snapshot, off the request path (0.2 s at 100k
documents); matching a filter then costs array operations over the documents and the
admitted sentences, not a pass over every document's metadata in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from service.index.sites import within_site
from service.index.store import DocumentEntry

NO_DATE = -1  # the day number of a document whose date is unknown


@dataclass(frozen=True)
class DocumentFilter:
    """What a request admits; an empty field admits everything. Dates are inclusive.

    ``sources``: file names; ``sites``: domains (a subdomain belongs to its domain);
    ``authors``: bylines' names, compared without case; a date range admits only dated
    documents."""

    sources: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    authors: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.sources or self.sites or self.authors or self.date_from or self.date_to)

    def describe(self) -> str:
        """The filter as the request wrote it, for a refusal that names it."""
        parts = [
            f"{name}={', '.join(values)}"
            for name, values in (
                ("sources", self.sources),
                ("sites", self.sites),
                ("authors", self.authors),
            )
            if values
        ]
        parts += [
            f"{name}={day.isoformat()}"
            for name, day in (("date_from", self.date_from), ("date_to", self.date_to))
            if day is not None
        ]
        return "; ".join(parts)


def day_number(date: str | None) -> int:
    """An ISO date's (``2024-12-03``, or a timestamp starting with one) proleptic ordinal;
    :data:`NO_DATE` when there is none."""
    if not date:
        return NO_DATE
    try:
        return dt.date.fromisoformat(date[:10]).toordinal()
    except ValueError:
        return NO_DATE


def author_names(byline: str | None) -> list[str]:
    """A byline's names, folded for comparison: trafilatura joins several with "; ", and
    a plain-text byline starts with "By "."""
    return [n for part in (byline or "").split(";") if (n := fold_name(part).removeprefix("by "))]


def fold_name(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Scope:
    """The documents a filter admits and their sentences' positions (ascending), with a
    mask over every position for membership tests."""

    filter: DocumentFilter
    docs: np.ndarray  # the admitted documents, as indices into ``Catalog.sources``
    positions: np.ndarray  # int64
    mask: np.ndarray  # bool, one per sentence position of the snapshot
    whole: bool = False  # every document of the snapshot is admitted

    @property
    def empty(self) -> bool:
        return not len(self.positions)

    def __contains__(self, pos: int) -> bool:
        return bool(self.mask[pos])


class Catalog:
    """The snapshot's documents in sentence order, their days, sites and authors."""

    def __init__(
        self,
        documents: Mapping[str, DocumentEntry],
        ranges: Mapping[str, tuple[int, int]],
        sentences: int,
    ) -> None:
        self.sources = sorted(ranges, key=lambda s: ranges[s][0])
        self.index = {s: i for i, s in enumerate(self.sources)}
        self.starts = np.array([ranges[s][0] for s in self.sources], dtype=np.int64)
        self.ends = np.array([ranges[s][1] for s in self.sources], dtype=np.int64)
        self.sentences = sentences
        entries = [documents.get(s) for s in self.sources]
        self.days = np.array([day_number(e.date if e else None) for e in entries], np.int64)
        self.by_site: dict[str, list[int]] = {}
        self.by_author: dict[str, list[int]] = {}
        for i, e in enumerate(entries):
            if e is None:
                continue
            if e.site:
                self.by_site.setdefault(e.site, []).append(i)
            for name in author_names(e.author):
                self.by_author.setdefault(name, []).append(i)

    def admitted(self, f: DocumentFilter) -> np.ndarray:
        """Which documents (indices into :attr:`sources`) ``f`` admits."""
        keep = np.ones(len(self.sources), dtype=bool)
        if f.sources:
            keep &= self._mark(self.index[s] for s in f.sources if s in self.index)
        if f.sites:
            keep &= self._mark(
                i
                for domain, docs in self.by_site.items()
                if any(within_site(domain, site) for site in f.sites)
                for i in docs
            )
        if f.authors:
            keep &= self._mark(i for a in f.authors for i in self.by_author.get(fold_name(a), ()))
        if f.date_from is not None or f.date_to is not None:
            keep &= self.days != NO_DATE
            if f.date_from is not None:
                keep &= self.days >= f.date_from.toordinal()
            if f.date_to is not None:
                keep &= self.days <= f.date_to.toordinal()
        return np.flatnonzero(keep)

    def scope(self, f: DocumentFilter) -> Scope:
        """The sentences of the documents ``f`` admits."""
        docs = self.admitted(f)
        starts, lengths = self.starts[docs], self.ends[docs] - self.starts[docs]
        total = int(lengths.sum())
        if len(docs) == len(self.sources) and total == self.sentences:
            # every document, so every sentence (documents' ranges do not overlap): no
            # gather over millions of positions at 100k articles
            positions = np.arange(total, dtype=np.int64)
            return Scope(f, docs, positions, np.ones(total, dtype=bool), whole=True)
        # every range starts[j] : starts[j] + lengths[j], in one gather (no Python loop)
        offsets = np.arange(total, dtype=np.int64) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        positions = np.repeat(starts, lengths) + offsets
        mask = np.zeros(self.sentences, dtype=bool)
        mask[positions] = True
        return Scope(f, docs, positions, mask, whole=len(docs) == len(self.sources))

    def _mark(self, docs: Iterable[int]) -> np.ndarray:
        out = np.zeros(len(self.sources), dtype=bool)
        out[np.fromiter(docs, dtype=np.int64)] = True
        return out
