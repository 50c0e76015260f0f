"""Different figures for the same quantity in the evidence: the answer says so and cites
each side, with dates, instead of choosing one (issue 26 §3, numeric conflicts, offline).

The evidence for a question is the candidate sentences the trained reader finds answering
it (at least half its best probability: the rule ``corroboration`` and
``newest_answering_day`` use) and the answer's cited sentences. Sentences whose stored
entity labels hold no figure (CARDINAL, QUANTITY, MONEY, PERCENT) are passed over; unknown
labels are read. Each figure is a ``language.quantities.Mention`` (an interval, and what it
counts). Two reports **conflict** when they come from different documents, count the same
quantity and their intervals do not meet ("at least 12 killed" and "9 dead"; not "at least
9" and "12"). The **sides** of a conflict are the groups of figures that agree with each
other ("at least 12" and "12" are one side), each with the sentences reporting it, by
date; every side's first report becomes a citation (a story's copies folded as
everywhere, ``copies.fold``), and the answer ends with a sentence naming each side, its
citation and the date it was first reported.

In llm mode the same check runs on the model's evidence after the answer is verified, so
both sides are cited whatever the model wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from service.answering.base import Answer, Citation
from service.answering.copies import fold
from service.answering.provenance import day_of
from service.index.corpus import CorpusSnapshot
from service.language.quantities import Mention, mentions
from service.retrieval.hybrid import Retrieval

_READER_SHARE = 0.5
_FIGURE_LABELS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})


@dataclass
class Side:
    """Figures reported for a quantity that agree with each other ("12", "at least 12"),
    and the sentences reporting them (by date)."""

    mentions: list[Mention] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)

    def admits(self, m: Mention) -> bool:
        return all(m.compatible(other) for other in self.mentions)

    @property
    def written(self) -> str:
        return self.mentions[0].written  # the first-dated report's figure


@dataclass
class Conflict:
    counted: str  # what is counted, as the answer names it
    sides: list[Side]


def evidence(retrieval: Retrieval, cited: list[int]) -> list[int]:
    """The sentences the conflict check reads: cited, or found answering by the reader."""
    best = retrieval.answerability or 0.0
    read = [p for p, prob in retrieval.reading.items() if best and prob >= _READER_SHARE * best]
    return list(dict.fromkeys([*cited, *sorted(read)]))


def _date_key(snap: CorpusSnapshot, pos: int) -> tuple[bool, str, int]:
    doc = snap.documents.get(snap.sentences[pos].source)
    date = doc.date if doc is not None else None
    return (not date, date or "", pos)


def find(snap: CorpusSnapshot, positions: list[int]) -> list[Conflict]:
    """The quantities with conflicting figures among the sentences at ``positions``."""
    by_quantity: dict[tuple[str, ...], list[tuple[Mention, int]]] = {}
    for p in positions:
        if snap.holds_entity(p, _FIGURE_LABELS) is False:
            continue
        for m in mentions(snap.sentences[p].text):
            by_quantity.setdefault(m.quantity, []).append((m, p))
    out = []
    for found in by_quantity.values():
        found.sort(key=lambda mp: _date_key(snap, mp[1]))  # the first report of a side leads
        sides: list[Side] = []
        for m, p in found:
            side = next((s for s in sides if s.admits(m)), None)
            if side is None:
                sides.append(side := Side())
            side.mentions.append(m)
            if p not in side.positions:
                side.positions.append(p)
        if _conflicting(snap, sides):
            out.append(Conflict(sides[0].mentions[0].counted, sides))
    return out


def _conflicting(snap: CorpusSnapshot, sides: list[Side]) -> bool:
    """Whether two sides (their figures cannot both be true) are reported by different
    documents."""
    if len(sides) < 2:
        return False
    sources = [{snap.sentences[p].source for p in side.positions} for side in sides]
    return len(set().union(*sources)) > 1


def _report(snap: CorpusSnapshot, pos: int) -> dict[str, object]:
    s = snap.sentences[pos]
    doc = snap.documents.get(s.source)
    return {"source": s.source, "sentence": s.number, "date": doc.date if doc else None}


def day_text(date: object) -> str:
    """ "2025-03-10" as the answer writes a day ("10 March 2025"); "" when unknown."""
    d = day_of(date) if isinstance(date, str) else None
    return f"{d.day} {d:%B} {d.year}" if d else ""


def mark_conflicts(result: Answer, retrieval: Retrieval) -> tuple[Answer, str]:
    """The answer with its conflicts cited and said (``disputed``, ``conflicts``), and the
    sentence added to its text ("" when there is none)."""
    if result.refused:
        return result, ""
    snap = retrieval.snapshot
    cited = [
        p for c in result.citations if (p := snap.position.get((c.source, c.sentence))) is not None
    ]
    conflicts = find(snap, evidence(retrieval, cited))
    if not conflicts:
        return result, ""
    citations = list(result.citations)
    ids = {(c.source, c.sentence): c.id for c in citations}

    def cite(pos: int) -> int:
        (folded,) = fold(snap, [pos], retrieval.scope)
        s = snap.sentences[folded.position]
        key = (s.source, s.number)
        if key not in ids:
            ids[key] = len(citations) + 1
            citations.append(
                Citation(
                    ids[key], s.source, s.number, s.text, also_carried_by=folded.carriers(snap)
                )
            )
        return ids[key]

    said: list[str] = []
    shown: list[dict[str, object]] = []
    for conflict in conflicts:
        parts = []
        sides_out = []
        for side in conflict.sides:
            n = cite(side.positions[0])
            reports = [_report(snap, p) for p in side.positions]
            when = day_text(reports[0]["date"])
            parts.append(f"{side.written} [{n}]" + (f" (reported {when})" if when else ""))
            sides_out.append(
                {
                    "value": side.written,
                    "values": list(dict.fromkeys(m.written for m in side.mentions)),
                    "citation": n,
                    "reports": reports,
                }
            )
        said.append(f"The sources differ on the number {conflict.counted}: {'; '.join(parts)}.")
        shown.append({"quantity": conflict.counted, "sides": sides_out})
    note = " " + " ".join(said)
    return (
        replace(
            result,
            answer=result.answer + note,
            citations=citations,
            disputed=True,
            conflicts=shown,
        ),
        note,
    )
