"""When the articles disagree: two reports that answer the question with different figures
for one quantity, or one that states a claim and one that denies it.

The evidence for a question is the reader-ranked candidates the answerer chooses from;
each document's best candidate among those the answerer could cite (the scorer's fitted
claim floor, ``keep_ratio`` x the best probability) is that document's answer. Two
documents' answers conflict when

- **figures**: the question asks for a number (its expected entity labels,
  :func:`service.language.entities.expected_labels`) and the two answers state one for
  the same thing counted (:mod:`service.language.quantities`: "8,668 fires" and "7,943
  fires", "87%" and "78 percent") with different values, neither stating the other's;
- **denial**: one answer denies (a verb of denial) what the other states without denying
  it: the denial restates the claim (at least ``RESTATES`` of its content terms, the
  denial verb aside, are the claim's) and the two are about one thing (their sentence
  vectors' cosine at least ``SAME_CLAIM``). "Putin dismissed European demands" beside
  another of his statements restates nothing of it, and is no dispute.

Copies of one sentence text are one report, so a story re-published by ten sites never
disputes itself; an update of a story that changes a figure does dispute its earlier
version (the answer shows both, with their dates). ``SAME_CLAIM`` and the use of the
claim floor were chosen on the corroboration suite's tuning half (``eval/corroboration``);
its holdout half reports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from service.answering.base import Citation
from service.index.corpus import CorpusSnapshot
from service.language.entities import expected_labels
from service.language.quantities import Figure, figures

SAME_CLAIM = 0.5  # cosine of a claim and its denial
RESTATES = 0.5  # share of the denial's content terms (its verb aside) that the claim has
_NUMERIC = frozenset({"CARDINAL", "PERCENT", "QUANTITY", "MONEY"})
# Verbs of denial, every inflection: a closed class of English, not words of any article.
_DENIAL = re.compile(
    r"\b(?:den(?:y|ies|ied|ying)|reject(?:s|ed|ing)?|refut(?:e|es|ed|ing)|"
    r"dismiss(?:es|ed|ing)?|rebut(?:s|ted|ting)?|contradict(?:s|ed|ing)?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Side:
    position: int  # the sentence (snapshot position) that states this side
    figure: str | None = None  # the figure it states, as written ("8,668 fires")


@dataclass(frozen=True)
class Dispute:
    kind: Literal["figures", "denial"]
    sides: tuple[Side, Side]


def answering(
    positions: list[int],
    probabilities: list[float],
    snap: CorpusSnapshot,
    keep_ratio: float,
    per_document: bool,
) -> list[int]:
    """The candidates at least ``keep_ratio`` x the best one, best first, one per distinct
    sentence text (copies of a sentence are one report); with ``per_document``, only each
    document's best."""
    best = probabilities[0] if probabilities else 0.0
    seen: set[str] = set()
    out = []
    for pos, prob in zip(positions, probabilities, strict=False):
        if prob < keep_ratio * best:
            break
        s = snap.sentences[pos]
        if s.text in seen or (per_document and s.source in seen):
            continue
        seen.update((s.text, s.source) if per_document else (s.text,))
        out.append(pos)
    return out


def _conflict(a: list[Figure], b: list[Figure], asked: set[float]) -> tuple[Figure, Figure] | None:
    for fa in a:
        if fa.value in asked:
            continue
        for fb in b:
            if fb.counts != fa.counts or fb.value == fa.value or fb.value in asked:
                continue
            if any(f.counts == fa.counts and f.value == fa.value for f in b):
                continue  # b states a's figure too: another figure, not a disagreement
            if any(f.counts == fb.counts and f.value == fb.value for f in a):
                continue
            return fa, fb
    return None


def find_dispute(
    question: str,
    positions: list[int],
    probabilities: list[float],
    snap: CorpusSnapshot,
    keep_ratio: float,
) -> Dispute | None:
    """The first conflict among the answering sentences, best first; None when they agree.
    Figures are compared between documents (one article's different figures are most
    often different quantities); a denial may answer a claim in the same article
    ("the union said ...; the company denied ...")."""
    answers = answering(positions, probabilities, snap, keep_ratio, per_document=True)
    texts = [snap.sentences[p].text for p in answers]
    if len(answers) > 1 and (expected_labels(question) or frozenset()) & _NUMERIC:
        found = figures([question, *texts])
        asked = {f.value for f in found[0]}
        for i in range(len(answers)):
            for j in range(i + 1, len(answers)):
                pair = _conflict(found[i + 1], found[j + 1], asked)
                if pair:
                    return Dispute(
                        "figures", (Side(answers[i], pair[0].text), Side(answers[j], pair[1].text))
                    )
    answers = answering(positions, probabilities, snap, keep_ratio, per_document=False)
    texts = [snap.sentences[p].text for p in answers]
    denials = [_DENIAL.search(t) for t in texts]
    for i in range(len(answers)):
        for j in range(i + 1, len(answers)):
            if bool(denials[i]) == bool(denials[j]):
                continue
            d, c = (i, j) if denials[i] else (j, i)
            verb = denials[d]
            assert verb is not None
            terms = snap.keys_of(texts[d]) - snap.keys_of(verb.group())
            shared = len(terms & snap.keys_of(texts[c])) / max(len(terms), 1)
            cos = float(np.dot(snap.vector(answers[i]), snap.vector(answers[j])))
            if shared >= RESTATES and cos >= SAME_CLAIM:
                return Dispute("denial", (Side(answers[i]), Side(answers[j])))
    return None


# The extractive answer's first words when the documents disagree; the sides follow.
DISPUTED_LEAD = "The sources disagree:"


def dispute_out(
    dispute: Dispute, citations: list[Citation], snap: CorpusSnapshot
) -> dict[str, object]:
    """The response's ``dispute``: its kind and each side with the citation that states it."""
    ids = {(c.source, c.sentence): c.id for c in citations}
    sides = []
    for side in dispute.sides:
        s = snap.sentences[side.position]
        sides.append(
            {
                "citation": ids.get((s.source, s.number)),
                "source": s.source,
                "sentence": s.number,
                "figure": side.figure,
            }
        )
    return {"kind": dispute.kind, "sides": sides}


def dated(dispute: dict[str, object] | None, citations: list[Citation]) -> dict[str, object] | None:
    """The dispute with each side's date (its citation's, once provenance is filled)."""
    if dispute is None:
        return None
    dates = {(c.source, c.sentence): c.date for c in citations}
    sides = dispute["sides"]
    assert isinstance(sides, list)
    return {
        **dispute,
        "sides": [
            {**side, "date": dates.get((side["source"], side["sentence"]))} for side in sides
        ],
    }
