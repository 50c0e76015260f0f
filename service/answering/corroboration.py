"""How many independent sources support each cited claim (issue 26 §2).

A claim is one sentence of the answer and the citations its markers name. The documents
that **support** it are:

1. every document carrying one of its cited sentences word for word (the cited one, its
   copies in ``also_carried_by``, and other stories quoting it: ``CorpusSnapshot.same_text``);
2. the documents of the claim's other citations: the answerer put them on one claim
   because they state it (the extractive composer's same-fact rule, the llm verifier's
   support check), and every document carrying their texts;
3. every document carrying a retrieved candidate sentence that states the same claim:
   the reader finds it answering the question (at least half the best probability, the
   rule ``newest_answering_day`` uses too) and its embedding's cosine with one of the
   claim's cited sentences is at least ``answer.same_claim_similarity`` (chosen on the
   HTML benchmark's pages by ``python -m bench.same_claim``: the lowest cosine at which at
   most 2 % of the pages' nearest other sentences pass; never on the seed articles or an
   eval case), unless it gives another figure for a quantity the cited sentence counts
   (``language.quantities.disagree``: "nine died" does not support "12 were killed") or
   reverses a status it reports (``superseded.reverses``: "was released" does not support
   "was arrested").

Only documents the request admits count (its filter, ``as_of``). Among them,
``corroboration`` counts distinct **clusters** (story clusters: copies of one story are one
source, five outlets' own reports are five), distinct **sites** (domains; documents with
no known site count for none) and **documents**, and lists one document per cluster
(``independent``: the cluster's earliest-dated supporting member). Every citation of a
claim carries the claim's count.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from service.answering.base import Citation
from service.answering.superseded import reverses
from service.index.corpus import CorpusSnapshot
from service.language.quantities import disagree
from service.retrieval.hybrid import Retrieval

_MARKER_RUN = re.compile(r"(?:\[\d{1,3}\])+")
_READER_SHARE = 0.5  # of the best reader probability: "the reader finds it answering"


def claim_groups(answer: str, citations: list[Citation]) -> list[list[Citation]]:
    """The citations of each claim: both answer modes write a claim's markers as one run
    after its text (``[1][2]``: the extractive composer, ``citations.with_markers``), so
    each run is one claim. A citation no marker names is a claim of its own."""
    by_id = {c.id: c for c in citations}
    groups: list[list[Citation]] = []
    named: set[int] = set()
    for run in _MARKER_RUN.finditer(answer):
        ids = [int(n) for n in re.findall(r"\d+", run.group())]
        group = [by_id[i] for i in dict.fromkeys(ids) if i in by_id and i not in named]
        named.update(c.id for c in group)
        if group:
            groups.append(group)
    groups.extend([c] for c in citations if c.id not in named)
    return groups


def equivalents(retrieval: Retrieval, cited: list[int], threshold: float) -> list[int]:
    """The candidates (positions) that state the same claim as one of ``cited``."""
    snap = retrieval.snapshot
    best = retrieval.answerability
    if not best or not cited:
        return []
    floor = _READER_SHARE * best
    pool = [p for p, prob in retrieval.reading.items() if prob >= floor and p not in cited]
    if not pool:
        return []
    own = np.stack([snap.vector(p) for p in cited])
    other = np.stack([snap.vector(p) for p in pool])
    near = (other @ own.T).max(axis=1) >= threshold
    texts = [snap.sentences[c].text for c in cited]
    return [
        p
        for p, ok in zip(pool, near.tolist(), strict=True)
        if ok
        and not any(
            disagree(snap.sentences[p].text, t) or reverses(snap.sentences[p].text, t)
            for t in texts
        )
    ]


def support(retrieval: Retrieval, cited: list[int], threshold: float) -> list[int]:
    """Every sentence position that supports a claim citing ``cited`` (ascending)."""
    snap = retrieval.snapshot
    found: set[int] = set()
    for p in [*cited, *equivalents(retrieval, cited, threshold)]:
        found.update(snap.same_text(p).tolist())
    scope = retrieval.scope
    return sorted(p for p in found if scope is None or p in scope)


def counted(snap: CorpusSnapshot, positions: list[int]) -> dict[str, object]:
    """The corroboration of a claim supported by the sentences at ``positions``."""
    rows = snap.sentences
    first: dict[str, int] = {}  # each supporting document's first supporting sentence
    for p in positions:
        first.setdefault(rows[p].source, p)
    by_story: dict[str, list[str]] = {}
    for source in first:
        by_story.setdefault(snap.stories.of_source.get(source, source), []).append(source)
    sites = {d.site for s in first if (d := snap.documents.get(s)) is not None and d.site}
    independent = []
    for story, members in by_story.items():
        order = snap.stories.by_id[story].members if story in snap.stories.by_id else ()
        rank = {s: i for i, s in enumerate(order)}
        lead = min(members, key=lambda s: (rank.get(s, len(rank)), s))
        doc = snap.documents.get(lead)
        independent.append(
            {
                "source": lead,
                "sentence": rows[first[lead]].number,
                "date": doc.date if doc else None,
                "site": doc.site if doc else None,
            }
        )
    independent.sort(key=lambda e: (not e["date"], e["date"] or "", str(e["source"])))
    return {
        "clusters": len(by_story),
        "sites": len(sites),
        "documents": len(first),
        "independent": independent,
    }


def corroborate(
    answer: str, citations: list[Citation], retrieval: Retrieval, threshold: float
) -> list[Citation]:
    """The citations, each with its claim's ``corroboration``."""
    snap = retrieval.snapshot
    out: dict[int, Citation] = {}
    for group in claim_groups(answer, citations):
        cited = [p for c in group if (p := snap.position.get((c.source, c.sentence))) is not None]
        count = counted(snap, support(retrieval, cited, threshold))
        for c in group:
            out[c.id] = replace(c, corroboration=count)
    return [out.get(c.id, c) for c in citations]
