"""An **earlier report superseded by a later one** without a figure (``find``):
two documents of different days, about the same thing (at least ``SAME_SUBJECT`` of the
shorter one's content terms, and two or more, are the other's, the status words aside, and
their vectors' cosine is at least ``SAME_COSINE``), where the later either reverses a status
the earlier reported (``REVERSALS``: arrested → released, missing → found, opened →
closed, will / planned → cancelled, ...) or carries a correction marker
(``_CORRECTION``: "corrected", "an earlier version of this article", "updated:", "no
longer", ...) while restating the earlier claim. The later document's correction may be
any of its sentences, not only an evidence one: a note at the end of an updated article is
rarely what a question retrieves. Never within one document, nor when the earlier
document itself carries the later status (an article and its copy that both tell the
arrest and the release dispute nothing). The sides: the earlier report, then the later
one, each with its date.

Every such pair in the evidence is found, at most ``MAX_SUPERSEDED`` reversals: two
independent reversals (an arrest and a release; a closure and its correction) are two,
while a pair that shares a report with one already found (a copy of either, another
outlet's report of the same release) is the same reversal, and joins its side.
``conflicts.mark_conflicts`` says and cites them with the other kinds of conflict.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from service.index.corpus import CorpusSnapshot

# Superseded reports said in one answer: each is a sentence of it, and a question is about
# one thing; more than a few reversals in its evidence are mostly beside the question.
MAX_SUPERSEDED = 3
SAME_SUBJECT = 0.5  # share of the shorter sentence's content terms the other one has
# Cosine of the two reports' vectors, set on the corroboration suite's tuning half; the
# denial rule's ``conflicts.SAME_CLAIM`` is this one value too.
SAME_COSINE = 0.5
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
class Superseding:
    """One reversal: the earlier reports of it and the later ones (positions, by date)."""

    earlier: list[int]
    later: list[int]


def _when(snap: CorpusSnapshot, pos: int) -> tuple[bool, str, int]:
    doc = snap.documents.get(snap.sentences[pos].source)
    date = doc.date if doc is not None else None
    return (not date, date or "", pos)


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
        and float(np.dot(snap.vector(a), snap.vector(b))) >= SAME_COSINE
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


def _superseded_pairs(snap: CorpusSnapshot, positions: list[int]) -> Iterator[tuple[int, int]]:
    """Every (earlier, later) pair among the sentences at ``positions`` where a later
    document supersedes the earlier report: a reversed status, or a correction restating
    it (module docstring). Earlier reports by date; at most one pair per earlier report
    and later document."""
    dated = [p for p in positions if _day(snap, p)]
    statuses = {p: _statuses(snap.sentences[p].text) for p in dated}
    corrections: dict[str, list[tuple[int, re.Match[str]]]] = {}  # per later document
    for a in sorted(dated, key=lambda p: _when(snap, p)):
        source_a, day_a = snap.sentences[a].source, _day(snap, a)
        if _CORRECTION.search(snap.sentences[a].text):
            continue
        later = [b for b in dated if _day(snap, b) > day_a and snap.sentences[b].source != source_a]
        was, now_a = statuses[a]
        told: set[str] = set()  # the later documents already found superseding ``a``
        for b in later:
            if snap.sentences[b].source in told:
                continue
            for i, now in enumerate(statuses[b][1]):
                before = was[i]
                if (
                    before is not None
                    and now is not None
                    and now_a[i] is None
                    and _same_subject(snap, a, b, before.group(), now.group())
                    and not _carries(snap, source_a, b, REVERSALS[i][1])
                ):
                    told.add(snap.sentences[b].source)
                    yield a, b
                    break
        for source_b in sorted({snap.sentences[b].source for b in later} - told):
            if source_b not in corrections:
                lo, hi = snap.ranges.get(source_b, (0, 0))
                found = ((b, _CORRECTION.search(snap.sentences[b].text)) for b in range(lo, hi))
                corrections[source_b] = [(b, m) for b, m in found if m]
            for b, marker in corrections[source_b]:
                if _same_subject(snap, a, b, marker.group()) and not _carries(
                    snap, source_a, b, _CORRECTION
                ):
                    yield a, b
                    break


def find(snap: CorpusSnapshot, positions: list[int]) -> list[Superseding]:
    """Each earlier report among the sentences at ``positions`` that a later document
    supersedes, at most ``MAX_SUPERSEDED``, earliest first. One reversal is one conflict
    however many carry it: a pair that shares a text with a conflict already found (a copy
    of either report, another outlet's report of the same release) joins that conflict's
    side, by date, instead of being said again."""
    out: list[Superseding] = []

    def texts(ps: list[int]) -> set[str]:
        return {snap.sentences[p].text for p in ps}

    for a, b in _superseded_pairs(snap, positions):  # a correction's b may be no evidence
        same = next(
            (c for c in out if texts([a]) <= texts(c.earlier) or texts([b]) <= texts(c.later)),
            None,
        )
        if same is None:
            if len(out) < MAX_SUPERSEDED:
                out.append(Superseding([a], [b]))
            continue
        for side, p in ((same.earlier, a), (same.later, b)):
            if p not in side:
                side.append(p)
                side.sort(key=lambda q: _when(snap, q))
    return out
