"""GET /sources...: the documents and sentences citations point at, word for word."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from service.answering.links import with_text_fragment
from service.deps import ContainerDep
from service.errors import ApiError
from service.index.corpus import CorpusSnapshot
from service.index.store import DocumentEntry, StoredSentence

router = APIRouter(prefix="/sources", tags=["sources"])


class SourceOut(BaseModel):
    source: str
    title: str | None
    date: str | None
    url: str | None = None
    author: str | None = None
    site: str | None = Field(None, description="The site's domain (filter `sites` names it).")
    date_source: str | None = Field(
        None,
        description="Where `date` comes from: `metadata`, `html`, `text` or `file_name`.",
    )
    sentences: int

    @classmethod
    def of(cls, d: DocumentEntry) -> SourceOut:
        return cls(
            source=d.source,
            title=d.title,
            date=d.date,
            url=d.url,
            author=d.author,
            site=d.site,
            date_source=d.date_source,
            sentences=d.sentences,
        )


class SentenceOut(BaseModel):
    sentence: int
    text: str


class DocumentOut(SourceOut):
    story: str | None = Field(
        None, description="The id of its story cluster (`GET /stories/{id}`)."
    )
    sentences: list[SentenceOut]  # type: ignore[assignment]


class SentenceDetail(BaseModel):
    source: str
    sentence: int
    text: str
    title: str | None = None
    url: str = Field(
        description="A link that opens the sentence: the article's own page with a text "
        "fragment (`#:~:text=`), scrolled to it and highlighted, or the service's reader page "
        "(`/read/{source}?sentence={n}`) for a document without a URL."
    )
    before: list[SentenceOut] | None = None
    after: list[SentenceOut] | None = None


class SourceList(BaseModel):
    sources: list[SourceOut]


async def snapshot(container: ContainerDep) -> CorpusSnapshot:
    return await run_in_threadpool(lambda: container.state().snapshot())


def known(snap: CorpusSnapshot, source: str) -> None:
    if source not in snap.documents:
        raise ApiError(404, f"unknown source {source!r}; GET /sources lists the documents")


def check_sentence(snap: CorpusSnapshot, source: str, n: int) -> StoredSentence:
    """Sentence ``n`` of a known source, or 404 when there is none."""
    total = snap.documents[source].sentences
    if n < 1 or n > total:
        raise ApiError(404, f"sentence {n} is out of range: {source!r} has sentences 1 to {total}")
    s = snap.get(source, n)
    if s is None:
        raise ApiError(404, f"sentence {n} of {source!r} is not in the index")
    return s


@router.get("", response_model=SourceList)
async def list_sources(container: ContainerDep) -> SourceList:
    """Every indexed document with its title and number of sentences."""
    snap = await snapshot(container)
    return SourceList(
        sources=[SourceOut.of(d) for d in sorted(snap.documents.values(), key=lambda d: d.source)]
    )


@router.get("/{source}", response_model=DocumentOut)
async def get_source(source: str, container: ContainerDep) -> DocumentOut:
    """A document's sentences, numbered as citations number them."""
    snap = await snapshot(container)
    known(snap, source)
    return DocumentOut(
        **SourceOut.of(snap.documents[source]).model_dump(exclude={"sentences"}),
        story=snap.stories.of_source.get(source),
        sentences=[SentenceOut(sentence=s.number, text=s.text) for s in snap.of_document(source)],
    )


@router.get(
    "/{source}/sentences/{n}", response_model=SentenceDetail, response_model_exclude_none=True
)
async def get_sentence(
    source: str,
    n: int,
    container: ContainerDep,
    request: Request,
    context: int = Query(0, ge=0, le=10, description="Neighbouring sentences on each side."),
) -> SentenceDetail:
    """One sentence: the same text a citation carries (plus neighbours if asked)."""
    snap = await snapshot(container)
    known(snap, source)
    s = check_sentence(snap, source, n)
    doc = snap.documents[source]
    if doc.url:
        url = with_text_fragment(doc.url, s.text)
    else:
        url = str(request.url_for("reader_page", source=source).include_query_params(sentence=n))
    out = SentenceDetail(source=source, sentence=n, text=s.text, title=s.title, url=url)
    if context:
        before, after = snap.around(snap.position[(source, n)], context)
        out.before = [SentenceOut(sentence=b.number, text=b.text) for b in before]
        out.after = [SentenceOut(sentence=a.number, text=a.text) for a in after]
    return out
