"""Claims from sources of different dates: the newest first, each naming when and who.

When the documents an answer cites carry two or more different dates, the reader must see
which report is newer: the claims are ordered by the newest date they cite (newest first;
claims of one day keep their relevance order; claims citing only undated documents come
last) and each opens with its date and source:

    On 3 December 2024, reuters.com reported: <sentence> [1] On 1 December 2024,
    bbc.co.uk reported: <sentence> [2] example.org reported: <undated sentence> [3]

A claim several documents state names each ("On 3 December 2024, a.com; on 1 December
2024, b.com reported: ..."). The source is named by its site, else its title, else its
file name. An answer whose dated sources share one day keeps its plain form (its
"as of" note, ``provenance.as_of_note``, says the day).

Both answer modes use this: the extractive answerer on its chosen sentences, the llm
answerer on its verified sentences. The llm is shown each evidence sentence's date and
source (:func:`reported_by`) and asked for this form; the prefix it writes is removed
before verification (:func:`without_attribution`: the claim is checked against the
cited sentence alone) and written again here, so the form is the service's, not the
model's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from service.index.corpus import CorpusSnapshot
from service.retrieval.evidence import SentenceRef


@dataclass(frozen=True)
class Reported:
    """When and by whom a document was reported (``day`` None: undated)."""

    day: dt.date | None
    who: str


@dataclass(frozen=True)
class Drafted:
    """A claim of an answer before its citations are numbered: its text and what it cites."""

    text: str
    refs: tuple[SentenceRef, ...]


def reported(snap: CorpusSnapshot, source: str) -> Reported:
    doc = snap.documents.get(source)
    day = None
    if doc is not None and doc.date:
        try:
            day = dt.date.fromisoformat(doc.date[:10])
        except ValueError:
            day = None
    who = (doc.site or doc.title) if doc is not None else None
    return Reported(day, who or source)


def day_words(day: dt.date) -> str:
    """``3 December 2024``: the form answers write a day in."""
    return f"{day.day} {day:%B} {day.year}"


def reported_by(snap: CorpusSnapshot, source: str) -> str:
    """What the model is shown of a document's provenance: "reported by bbc.co.uk on 3
    December 2024" ("" when nothing is known beyond the file name)."""
    r = reported(snap, source)
    who = f"reported by {r.who}" if r.who != source else ""
    when = f"on {day_words(r.day)}" if r.day else ""
    return " ".join(p for p in (who, when) if p)


def differ_in_date(reports: Iterable[Reported]) -> bool:
    return len({r.day for r in reports if r.day is not None}) >= 2


def _newest(reports: Sequence[Reported]) -> int:
    days = [r.day.toordinal() for r in reports if r.day is not None]
    return max(days) if days else -1


def _attribution(reports: Sequence[Reported]) -> str:
    """``On 3 December 2024, a.com; on 1 December 2024, b.com and c.org; d.net``."""
    groups: dict[dt.date | None, list[str]] = {}
    for r in reports:
        names = groups.setdefault(r.day, [])
        if r.who not in names:
            names.append(r.who)
    parts = [
        f"on {day_words(day)}, {' and '.join(names)}" if day else " and ".join(names)
        for day, names in groups.items()
    ]
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def newest_first(claims: Sequence[Drafted], snap: CorpusSnapshot) -> list[Drafted]:
    """The claims in the dated form when their cited documents differ in date, else as
    they are (see the module docstring)."""
    return [d for _, d in dated_order(claims, snap)]


def dated_order(claims: Sequence[Drafted], snap: CorpusSnapshot) -> list[tuple[int, Drafted]]:
    """:func:`newest_first`, each claim with its index in ``claims``."""
    known = {ref.source: reported(snap, ref.source) for c in claims for ref in c.refs}
    if not differ_in_date(known.values()):
        return list(enumerate(claims))
    out: list[tuple[int, int, Drafted]] = []
    for i, claim in enumerate(claims):
        refs = sorted(claim.refs, key=lambda ref: -_newest([known[ref.source]]))
        reports = [known[ref.source] for ref in refs]
        text = f"{_attribution(reports)} reported: {claim.text}"
        out.append((-_newest(reports), i, Drafted(text, tuple(refs))))
    return [(i, d) for _, i, d in sorted(out, key=lambda t: (t[0], t[1]))]


_DAY = re.compile(r"\b\d{1,2} [A-Z][a-z]+ \d{4}\b")
_PREFIX = re.compile(
    r"^(?P<head>(?:[^.!?]|\.(?=\w)){2,200}?) reported(?::|,|\s+that)\s+(?P<rest>\S.*)$"
)


def without_attribution(text: str, days: set[str], names: set[str]) -> str:
    """A model's sentence without the "On <day>, <who> reported:" it was asked to open
    with, when that prefix names only days and sources it was shown (``days`` in
    :func:`day_words` form, ``names`` as :func:`reported` gives them); else unchanged.
    What remains is verified against the cited sentence."""
    m = _PREFIX.match(text)
    if not m:
        return text
    head = m.group("head").strip()
    found = _DAY.findall(head)
    if found:
        if not head.lower().startswith("on ") or any(d not in days for d in found):
            return text
        rest_of_head = _DAY.sub("", head[3:])
        if not any(n in rest_of_head for n in names):
            return text
    elif head not in names:
        return text
    rest = m.group("rest")
    return rest[:1].upper() + rest[1:]
