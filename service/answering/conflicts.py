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

A **denial** conflicts with what it denies: an evidence sentence with a verb of denial
("denied", "rejects", "refuted": a closed class of English) that restates another
evidence sentence's claim (at least ``RESTATES`` of its content terms, the verb aside, are
the claim's, and their vectors' cosine is at least ``SAME_CLAIM``) and that one does not
deny it. The two may stand in one article ("the union said ...; the company denied ...").
"Putin dismissed European demands" beside another of his statements restates nothing of
it, and is no conflict. Both thresholds were set on the corroboration suite's tuning half
and the home dev set's false alarms (none at these values), and are reported on its
holdout half.

An **earlier report superseded by a later one** without a figure is the rule of
``superseded`` (its status reversals, correction markers and thresholds); this module
says and cites its pairs like the others'.

In llm mode the same check runs on the model's evidence after the answer is verified, so
both sides are cited whatever the model wrote (the prompt asks it to cite each side too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from service.answering import superseded
from service.answering.base import Answer, Citation
from service.answering.copies import fold
from service.answering.provenance import day_of
from service.index.corpus import CorpusSnapshot
from service.language.quantities import Mention, mentions
from service.retrieval.hybrid import Retrieval

_READER_SHARE = 0.5
_FIGURE_LABELS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
RESTATES = 0.5  # share of a denial's content terms (its verb aside) that the claim has
# Cosine of a claim and its denial: the one same-claim threshold, kept with the
# superseded rule below this module (which cannot import it back).
SAME_CLAIM = superseded.SAME_COSINE
# Verbs of denial, every inflection.
_DENIAL = re.compile(
    r"\b(?:den(?:y|ies|ied|ying)|reject(?:s|ed|ing)?|refut(?:e|es|ed|ing)|"
    r"dismiss(?:es|ed|ing)?|rebut(?:s|ted|ting)?|contradict(?:s|ed|ing)?)\b",
    re.IGNORECASE,
)


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
        return self.mentions[0].written if self.mentions else ""  # the first report's figure


@dataclass
class Conflict:
    counted: str  # what is counted, as the answer names it ("" for a denial)
    sides: list[Side]
    # or "denial": sides[0] states a claim, sides[1] denies it; or "superseded": sides[0]
    # is the earlier report, sides[1] the later one that supersedes it
    kind: str = "figures"


def find_denial(snap: CorpusSnapshot, positions: list[int]) -> Conflict | None:
    """The first claim and its denial among the sentences at ``positions``."""
    texts = {p: snap.sentences[p].text for p in positions}
    verbs = {p: _DENIAL.search(t) for p, t in texts.items()}
    for d, verb in verbs.items():
        if verb is None:
            continue
        terms = snap.keys_of(texts[d]) - snap.keys_of(verb.group())
        for c in positions:
            if verbs[c] is not None or texts[c] == texts[d]:
                continue
            shared = len(terms & snap.keys_of(texts[c])) / max(len(terms), 1)
            if shared >= RESTATES and float(np.dot(snap.vector(c), snap.vector(d))) >= SAME_CLAIM:
                return Conflict("", [Side(positions=[c]), Side(positions=[d])], "denial")
    return None


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
    documents: each by a document that does not report the other. One article giving
    87% overall and 97% for a subgroup, and its copies, disagree with nobody."""
    sources = [{snap.sentences[p].source for p in side.positions} for side in sides]
    return any(a - b and b - a for i, a in enumerate(sources) for b in sources[i + 1 :])


def _report(snap: CorpusSnapshot, pos: int) -> dict[str, object]:
    s = snap.sentences[pos]
    doc = snap.documents.get(s.source)
    return {"source": s.source, "sentence": s.number, "date": doc.date if doc else None}


def day_text(date: object) -> str:
    """ "2025-03-10" as the answer writes a day ("10 March 2025"); "" when unknown."""
    d = day_of(date) if isinstance(date, str) else None
    return f"{d.day} {d:%B} {d.year}" if d else ""


# What each side of a conflict is, by kind: said after a denial's sides, and the
# ``report`` field of a superseded report's sides.
_ROLES = {"denial": ("states it", "denies it"), "superseded": ("earlier", "later")}


def mark_conflicts(result: Answer, retrieval: Retrieval) -> tuple[Answer, str]:
    """The answer with its conflicts cited and said (``disputed``, ``conflicts``), and the
    sentence added to its text ("" when there is none)."""
    if result.refused:
        return result, ""
    snap = retrieval.snapshot
    cited = [
        p for c in result.citations if (p := snap.position.get((c.source, c.sentence))) is not None
    ]
    read = evidence(retrieval, cited)
    conflicts = find(snap, read)
    denial = find_denial(snap, read)
    if denial is not None:
        conflicts.append(denial)
    told = {p for c in conflicts for side in c.sides for p in side.positions}
    conflicts += [  # none whose reports a figure or denial conflict already says
        Conflict("", [Side(positions=r.earlier), Side(positions=r.later)], "superseded")
        for r in superseded.find(snap, read)
        if not {*r.earlier, *r.later} <= told
    ]
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
        roles = _ROLES.get(conflict.kind, ())
        for i, side in enumerate(conflict.sides):
            n = cite(side.positions[0])
            reports = [_report(snap, p) for p in side.positions]
            when = day_text(reports[0]["date"])
            head = f"{side.written} [{n}]" if conflict.kind == "figures" else f"[{n}]"
            tail = f" {roles[i]}" if conflict.kind == "denial" else ""
            parts.append(head + (f" (reported {when})" if when else "") + tail)
            sides_out.append(
                {
                    "value": side.written or None,
                    "values": list(dict.fromkeys(m.written for m in side.mentions)),
                    "citation": n,
                    "reports": reports,
                    **({"report": roles[i]} if conflict.kind == "superseded" else {}),
                }
            )
        if conflict.kind == "denial":
            said.append(f"The sources disagree: {' and '.join(parts)}.")
        elif conflict.kind == "superseded":
            said.append(f"A later report supersedes an earlier one: {', then '.join(parts)}.")
        else:
            what = conflict.counted
            what = what if what.startswith("the ") else f"the number {what}"
            said.append(f"The sources differ on {what}: {'; '.join(parts)}.")
        shown.append(
            {"kind": conflict.kind, "quantity": conflict.counted or None, "sides": sides_out}
        )
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
