"""Copies of one story cited once: the original first, the others "also carried by".

A wire story re-published by five sites, or an article and its update, is one story
cluster (``service.index.stories``). When an answer cites a sentence that several members
of that cluster carry word for word, the citation names the member that carried it first
(the earliest-dated member carrying it: the cluster's members are in date order) and
lists the other carrying members in ``also_carried_by``; it never becomes one citation a
copy. Within one claim, a second sentence from a cluster already cited (an edited
version of the same sentence in the story's update) adds no citation either: it is the
same story, not another source. Sentences of other clusters that carry the same text (an
article quoting another word for word) stay citations of their own: they are other
stories.

Both answer modes cite through :func:`fold` (the extractive composer per claim, the llm
mode's ``CitationBook``), so the text an answer streams already has its final markers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from service.answering.base import CarrierRef, Citation
from service.index.catalog import Scope
from service.index.corpus import CorpusSnapshot


@dataclass(frozen=True)
class Folded:
    """One cited sentence: the original's position, and the copies' positions (in the
    cluster's date order)."""

    position: int
    copies: tuple[int, ...] = ()

    def carriers(self, snap: CorpusSnapshot) -> tuple[CarrierRef, ...]:
        rows = snap.sentences
        return tuple(CarrierRef(rows[p].source, rows[p].number) for p in self.copies)


def story_of(snap: CorpusSnapshot, pos: int) -> str:
    """The id of the story cluster sentence ``pos`` belongs to (its source when unknown)."""
    source = snap.sentences[pos].source
    return snap.stories.of_source.get(source, source)


def original(snap: CorpusSnapshot, pos: int, scope: Scope | None = None) -> Folded:
    """Sentence ``pos`` as cited: the earliest member of its cluster carrying its text,
    and the other members carrying it (one sentence each: a member's first); only members
    the request's filter admits (``scope``; None: all)."""
    rows = snap.sentences
    story = snap.stories.story_of(rows[pos].source)
    if story is None or len(story.members) == 1:
        return Folded(pos)
    first: dict[str, int] = {}
    rank = {s: i for i, s in enumerate(story.members)}
    for p in snap.same_text(pos).tolist():  # ascending: a member's first sentence first
        source = rows[p].source
        if source in rank and source not in first and (scope is None or p in scope):
            first[source] = p
    ordered = sorted(first, key=rank.__getitem__)
    if not ordered:  # only for a position outside the scope: cited as it is
        return Folded(pos)
    return Folded(first[ordered[0]], tuple(first[s] for s in ordered[1:]))


def fold(
    snap: CorpusSnapshot, positions: Iterable[int], scope: Scope | None = None
) -> list[Folded]:
    """One claim's cited sentences, one per story cluster (the first cited of each), each
    as its cluster's original with its copies (among the members ``scope`` admits)."""
    seen: set[str] = set()
    out: list[Folded] = []
    for pos in positions:
        story = story_of(snap, pos)
        if story not in seen:
            seen.add(story)
            out.append(original(snap, pos, scope))
    return out


def listed(citations: list[Citation], most: int) -> list[Citation]:
    """The citations with at most ``most`` copies listed each (the earliest) and the count
    of all: a wire story on 500 sites is one citation, not a list of 499 in every answer."""
    return [
        replace(
            c,
            also_carried_by=c.also_carried_by[:most],
            also_carried_by_count=len(c.also_carried_by),
        )
        for c in citations
    ]
