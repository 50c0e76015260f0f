"""The story clusters of the current snapshot, as the stories API shows them.

The clusters themselves are computed with the snapshot (``service.index.stories``); this
reads them: a page of the list, one cluster with its members, and for each sentence of
the original which members carry it word for word."""

from __future__ import annotations

from dataclasses import dataclass

from service.index.corpus import CorpusSnapshot
from service.index.stories import Story


@dataclass(frozen=True)
class StorySummary:
    id: str
    original: str
    members: int
    sites: list[str]
    first_date: str | None
    last_date: str | None


@dataclass(frozen=True)
class Member:
    source: str
    title: str | None
    date: str | None
    site: str | None
    url: str | None


@dataclass(frozen=True)
class Carrier:
    source: str
    sentence: int


@dataclass(frozen=True)
class OriginalSentence:
    sentence: int
    text: str
    carried_by: list[Carrier]  # the members whose sentence has this text (original first)


@dataclass(frozen=True)
class StoryDetail:
    summary: StorySummary
    members: list[Member]
    sentences: list[OriginalSentence]


def summary(snap: CorpusSnapshot, story: Story) -> StorySummary:
    entries = [snap.documents[s] for s in story.members if s in snap.documents]
    dates = sorted(e.date for e in entries if e.date)
    return StorySummary(
        id=story.id,
        original=story.original,
        members=len(story.members),
        sites=sorted({e.site for e in entries if e.site}),
        first_date=dates[0] if dates else None,
        last_date=dates[-1] if dates else None,
    )


def page(
    snap: CorpusSnapshot, limit: int, offset: int, min_members: int = 1
) -> tuple[int, list[StorySummary]]:
    """(how many stories have at least ``min_members``, the page of them): largest
    first, then by id."""
    stories = [s for s in snap.stories.ordered() if len(s.members) >= min_members]
    return len(stories), [summary(snap, s) for s in stories[offset : offset + limit]]


def detail(snap: CorpusSnapshot, story_id: str) -> StoryDetail | None:
    """One story (None: no such id in this snapshot)."""
    story = snap.stories.by_id.get(story_id)
    if story is None:
        return None
    members = [
        Member(s, e.title, e.date, e.site, e.url)
        for s in story.members
        if (e := snap.documents.get(s)) is not None
    ]
    rank = {s: i for i, s in enumerate(story.members)}
    rows = snap.sentences
    sentences = []
    lo, hi = snap.ranges.get(story.original, (0, 0))
    for pos in range(lo, hi):
        carried = [rows[p] for p in snap.same_text(pos) if rows[p].source in rank]
        carried.sort(key=lambda r: (rank[r.source], r.number))
        sentences.append(
            OriginalSentence(
                rows[pos].number, rows[pos].text, [Carrier(r.source, r.number) for r in carried]
            )
        )
    return StoryDetail(summary(snap, story), members, sentences)
