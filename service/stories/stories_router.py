"""GET /stories...: story clusters (copies and versions of one story) and their members."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from service.deps import ContainerDep
from service.errors import ApiError
from service.index.corpus import CorpusSnapshot
from service.stories import stories_service
from service.stories.stories_service import StorySummary

router = APIRouter(prefix="/stories", tags=["stories"])


class StoryOut(BaseModel):
    id: str = Field(description="Stable across processes: derived from the original's source.")
    original: str = Field(description="The earliest-dated member (ties: by source name).")
    members: int
    sites: list[str]
    first_date: str | None
    last_date: str | None

    @classmethod
    def of(cls, s: StorySummary) -> StoryOut:
        return cls(**s.__dict__)


class StoryList(BaseModel):
    total: int = Field(description="Stories with at least `min_members` members.")
    offset: int
    limit: int
    stories: list[StoryOut]


class MemberOut(BaseModel):
    source: str
    title: str | None
    date: str | None
    site: str | None
    url: str | None


class CarrierOut(BaseModel):
    source: str
    sentence: int


class OriginalSentenceOut(BaseModel):
    sentence: int
    text: str
    carried_by: list[CarrierOut] = Field(
        description="The members carrying this sentence word for word (the original first)."
    )


class StoryDetailOut(StoryOut):
    members: list[MemberOut]  # type: ignore[assignment]
    member_count: int
    sentences: list[OriginalSentenceOut]


async def snapshot(container: ContainerDep) -> CorpusSnapshot:
    return await run_in_threadpool(lambda: container.state().snapshot())


@router.get("", response_model=StoryList)
async def list_stories(
    container: ContainerDep,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    min_members: int = Query(1, ge=1, description="Only stories with this many members."),
) -> StoryList:
    """Story clusters, largest first (ties by id); every document is in exactly one."""
    snap = await snapshot(container)
    total, stories = stories_service.page(snap, limit, offset, min_members)
    return StoryList(
        total=total, offset=offset, limit=limit, stories=[StoryOut.of(s) for s in stories]
    )


@router.get("/{story_id}", response_model=StoryDetailOut)
async def get_story(story_id: str, container: ContainerDep) -> StoryDetailOut:
    """A story's members (the original first) and, for each sentence of the original,
    which members carry it."""
    snap = await snapshot(container)
    found = stories_service.detail(snap, story_id)
    if found is None:
        raise ApiError(404, f"unknown story {story_id!r}; GET /stories lists them")
    head = found.summary.__dict__ | {"member_count": found.summary.members}
    return StoryDetailOut(
        **head | {"members": [MemberOut(**m.__dict__) for m in found.members]},
        sentences=[
            OriginalSentenceOut(
                sentence=s.sentence,
                text=s.text,
                carried_by=[CarrierOut(**c.__dict__) for c in s.carried_by],
            )
            for s in found.sentences
        ],
    )
