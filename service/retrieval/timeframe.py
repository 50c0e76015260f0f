"""The time a question is asked about, made into the filter retrieval applies.

Three things narrow the archive by date, in this order:

- the request's own ``date_from`` / ``date_to`` (strict: a range that admits nothing is a
  refusal, ``no_documents_match_filter``);
- ``as_of``: the question is asked as on that day, so no article dated after it is seen
  (undated ones are; they may be older);
- the question's own words ("in January 2020", "last week", "before 3 December"),
  understood by ``service.language.when`` relative to ``as_of`` or, without it, to the
  newest article's day. They name when something was *reported* only sometimes: "What
  happened in 2014?" asked of 2025 articles is about an event. So the period is applied
  only when it admits at least one dated document; else it is echoed with
  ``applied: false`` and the archive answers as without it.

"latest" / "most recent" / "now" keep the archive whole and ask retrieval for the newest
report: :func:`newest_first` narrows a retrieval to the newest day among the documents
whose sentences the reader finds answering.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from service.index.catalog import NO_DATE, DocumentFilter
from service.index.corpus import CorpusSnapshot
from service.language.when import TimeAsk, time_ask


@dataclass(frozen=True)
class TimeFrame:
    """The filter to retrieve with, and what to echo as the response's ``time_range``."""

    filter: DocumentFilter | None
    asked: TimeAsk
    applied: bool  # the question's period narrowed the archive
    as_of: dt.date | None
    base: dt.date  # the day relative phrases count from

    def searchable(self, question: str) -> str:
        """The question as retrieval, the refusal gate and the answerer read it: without
        the words of a period that was applied as a filter ("in February 2020", "before
        10 March 2024"). The filter now says them; as terms to find they only lower the
        reader's answerability and make the gate ask for a sentence that names the date."""
        phrase = self.asked.phrase
        if not (self.applied and phrase):
            return question
        found = re.search(r"[\s,]*" + re.escape(phrase).replace(r"\ ", r"\W+"), question, re.I)
        if found is None:
            return question
        rest = (question[: found.start()] + question[found.end() :]).strip()
        return rest if len(rest.split()) >= 2 else question

    def echo(self) -> dict[str, object] | None:
        """The ``time_range`` of the response (None: the question says nothing of time
        and no ``as_of`` was given)."""
        if not (self.asked.has_range or self.asked.latest or self.as_of):
            return None
        f = self.filter or DocumentFilter()
        return {
            "phrase": self.asked.phrase or ("latest" if self.asked.latest else None),
            "from": _iso(f.date_from),
            "to": _iso(f.date_to),
            "applied": self.applied,
            "latest": self.asked.latest,
            "as_of": _iso(self.as_of),
            "relative_to": self.base.isoformat(),
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def newest_day(snap: CorpusSnapshot) -> dt.date | None:
    days = snap.catalog.days
    dated = days[days != NO_DATE]
    return dt.date.fromordinal(int(dated.max())) if len(dated) else None


def resolve(
    question: str,
    requested: DocumentFilter | None,
    as_of: dt.date | None,
    snap: CorpusSnapshot,
    today: dt.date | None = None,
) -> TimeFrame:
    """The question's time and the request's, as one filter (see the module docstring)."""
    base = as_of or newest_day(snap) or today or dt.date.today()
    asked = time_ask(question, base)
    f = requested or DocumentFilter()
    if as_of is not None:
        f = replace(f, date_to=min(f.date_to, as_of) if f.date_to else as_of)
    applied = False
    if asked.has_range:
        narrowed = _intersect(f, asked.start, asked.end)
        # the period admits dated documents (not only by the request's own range)
        if narrowed is not None and len(snap.catalog.admitted(narrowed)):
            f, applied = narrowed, True
    return TimeFrame(f or None, asked, applied, as_of, base)


def _intersect(
    f: DocumentFilter, start: dt.date | None, end: dt.date | None
) -> DocumentFilter | None:
    lo = max((d for d in (f.date_from, start) if d), default=None)
    hi = min((d for d in (f.date_to, end) if d), default=None)
    if lo and hi and lo > hi:
        return None
    return replace(f, date_from=lo, date_to=hi)


def newest_answering_day(
    snap: CorpusSnapshot, reading: dict[int, float], floor: float
) -> dt.date | None:
    """The newest date among the documents holding a sentence the reader gives at least
    ``floor`` (None: no such dated document)."""
    days = snap.catalog.days
    index = snap.catalog.index
    best = NO_DATE
    for pos, p in reading.items():
        if p >= floor:
            day = int(days[index[snap.sentences[pos].source]])
            best = max(best, day)
    return None if best == NO_DATE else dt.date.fromordinal(best)


def latest_filter(f: DocumentFilter | None, day: dt.date) -> DocumentFilter:
    """``f`` narrowed to documents dated ``day`` or later (the newest report's day)."""
    base = f or DocumentFilter()
    return replace(base, date_from=max(base.date_from, day) if base.date_from else day)
