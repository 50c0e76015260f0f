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

An **earlier report superseded by a later one** without a figure (``find_superseded``):
two documents of different days, about the same thing (at least ``SAME_SUBJECT`` of the
shorter one's content terms, and two or more, are the other's, the status words aside, and
their vectors' cosine is at least ``SAME_CLAIM``), where the later either reverses a status
the earlier reported (``REVERSALS``: arrested → released, missing → found, opened →
closed, will / planned → cancelled, ...) or carries a correction marker
(``_CORRECTION``: "corrected", "an earlier version of this article", "updated:", "no
longer", ...) while restating the earlier claim. The later document's correction may be
any of its sentences, not only an evidence one: a note at the end of an updated article is
rarely what a question retrieves. Never within one document, nor when the earlier
document itself carries the later status (an article and its copy that both tell the
arrest and the release dispute nothing). The sides: the earlier report, then the later
one, each with its date.

In llm mode the same check runs on the model's evidence after the answer is verified, so
both sides are cited whatever the model wrote (the prompt asks it to cite each side too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from service.answering.base import Answer, Citation
from service.answering.copies import fold
from service.answering.provenance import day_of
from service.index.corpus import CorpusSnapshot
from service.language.quantities import Mention, mentions
from service.retrieval.hybrid import Retrieval

_READER_SHARE = 0.5
_FIGURE_LABELS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
RESTATES = 0.5  # share of a denial's content terms (its verb aside) that the claim has
SAME_CLAIM = 0.5  # cosine of a claim and its denial
# Verbs of denial, every inflection.
_DENIAL = re.compile(
    r"\b(?:den(?:y|ies|ied|ying)|reject(?:s|ed|ing)?|refut(?:e|es|ed|ing)|"
    r"dismiss(?:es|ed|ing)?|rebut(?:s|ted|ting)?|contradict(?:s|ed|ing)?)\b",
    re.IGNORECASE,
)
SAME_SUBJECT = 0.5  # share of the shorter sentence's content terms the other one has
# A status and the later status that reverses it: (earlier, later), as regular expressions
# over a sentence. General English news vocabulary (custody, people missing, places and
# services open or shut, plans, suspensions, charges, posts), not fitted to any eval case.
REVERSALS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (
        re.compile(rf"\b(?:{earlier})\b", re.IGNORECASE),
        re.compile(rf"\b(?:{later})\b", re.IGNORECASE),
    )
    for earlier, later in (
        (r"arrested|detained|in custody|jailed|held hostage", r"released|freed|acquitted"),
        (r"missing|disappeared", r"found (?:dead|alive|safe)|rescued|located"),
        (r"opened|is open|remains open", r"closed|shut(?: down)?"),
        (r"closed|shut(?: down)?", r"reopened"),
        (r"will|planned|scheduled|due to", r"cancell?ed|called off|postponed|scrapped"),
        (r"suspended|halted", r"resumed|reinstated"),
        (r"charged with", r"acquitted|cleared|charges (?:were |have been )?dropped"),
        (r"appointed|elected|named as", r"resigned|dismissed|sacked|ousted|stepped down"),
    )
)
# What a later version says when it corrects or updates an earlier report. General English
# of newsrooms' correction and update notes, not fitted to any eval case.
_CORRECTION = re.compile(
    r"\b(?:corrected|correction|clarification|retract(?:s|ed|ion)|no longer|"
    r"an earlier version of this (?:article|story|report)|"
    r"(?:initially|originally) (?:reported|said|stated|announced)|"
    r"(?:article|story|report) (?:has been|was) updated|updated:)(?![\w-])",
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


def _day(snap: CorpusSnapshot, pos: int) -> str:
    doc = snap.documents.get(snap.sentences[pos].source)
    return (doc.date or "")[:10] if doc is not None else ""


def _same_subject(snap: CorpusSnapshot, a: int, b: int, *aside: str) -> bool:
    """Whether sentences ``a`` and ``b`` are about the same thing, the words ``aside``
    (their status words, a correction marker) left out."""
    drop = frozenset().union(*(snap.keys_of(w) for w in aside))
    ka = snap.keys_of(snap.sentences[a].text) - drop
    kb = snap.keys_of(snap.sentences[b].text) - drop
    shared = len(ka & kb)
    return (
        shared >= 2
        and shared / max(min(len(ka), len(kb)), 1) >= SAME_SUBJECT
        and float(np.dot(snap.vector(a), snap.vector(b))) >= SAME_CLAIM
    )


def _carries(snap: CorpusSnapshot, source: str, later: int, status: re.Pattern[str]) -> bool:
    """Whether document ``source`` itself reports what sentence ``later`` says: it carries
    its text, or a sentence with the same ``status`` about the same thing."""
    if any(snap.sentences[int(p)].source == source for p in snap.same_text(later)):
        return True
    lo, hi = snap.ranges.get(source, (0, 0))
    for p in range(lo, hi):
        found = status.search(snap.sentences[p].text)
        if found and _same_subject(snap, p, later, found.group()):
            return True
    return False


def _statuses(text: str) -> tuple[list[re.Match[str] | None], list[re.Match[str] | None]]:
    """Each of ``REVERSALS``' earlier and later statuses found in ``text`` (None: not)."""
    return [e.search(text) for e, _ in REVERSALS], [lt.search(text) for _, lt in REVERSALS]


def reverses(a: str, b: str) -> bool:
    """Whether one sentence reports a status the other reverses ("was arrested", "was
    released"): two reports of different moments, never one claim, whatever their wording
    shares."""
    (ea, la), (eb, lb) = _statuses(a), _statuses(b)
    return any(
        (ea[i] and lb[i] and not la[i]) or (eb[i] and la[i] and not lb[i])
        for i in range(len(REVERSALS))
    )


def find_superseded(snap: CorpusSnapshot, positions: list[int]) -> Conflict | None:
    """The first earlier report among the sentences at ``positions`` that a later document
    supersedes: a reversed status, or a correction restating it (module docstring)."""
    dated = [p for p in positions if _day(snap, p)]
    statuses = {p: _statuses(snap.sentences[p].text) for p in dated}
    corrections: dict[str, list[tuple[int, re.Match[str]]]] = {}  # per later document
    for a in sorted(dated, key=lambda p: _date_key(snap, p)):
        source_a, day_a = snap.sentences[a].source, _day(snap, a)
        if _CORRECTION.search(snap.sentences[a].text):
            continue
        later = [b for b in dated if _day(snap, b) > day_a and snap.sentences[b].source != source_a]
        was, now_a = statuses[a]
        for b in later:
            for i, now in enumerate(statuses[b][1]):
                before = was[i]
                if (
                    before is not None
                    and now is not None
                    and now_a[i] is None
                    and _same_subject(snap, a, b, before.group(), now.group())
                    and not _carries(snap, source_a, b, REVERSALS[i][1])
                ):
                    return Conflict("", [Side(positions=[a]), Side(positions=[b])], "superseded")
        for source_b in sorted({snap.sentences[b].source for b in later}):
            if source_b not in corrections:
                lo, hi = snap.ranges.get(source_b, (0, 0))
                found = ((b, _CORRECTION.search(snap.sentences[b].text)) for b in range(lo, hi))
                corrections[source_b] = [(b, m) for b, m in found if m]
            for b, marker in corrections[source_b]:
                if _same_subject(snap, a, b, marker.group()) and not _carries(
                    snap, source_a, b, _CORRECTION
                ):
                    return Conflict("", [Side(positions=[a]), Side(positions=[b])], "superseded")
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
    superseded = find_superseded(snap, read)
    told = {p for c in conflicts for side in c.sides for p in side.positions}
    if superseded is not None and not {p for s in superseded.sides for p in s.positions} <= told:
        conflicts.append(superseded)
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
