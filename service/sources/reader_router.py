"""GET /read/{source}: the reader page, an article with its cited sentence highlighted.

A read route like ``/sources`` (it shows the same text): with API keys configured it needs
a read key, as every route not listed open in ``service.paths`` does.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from service.deps import ContainerDep
from service.sources.reader_page import HEADERS, ReaderView, render
from service.sources.sources_router import check_sentence, known, snapshot

router = APIRouter(tags=["sources"])


@router.get(
    "/read/{source}",
    name="reader_page",
    response_class=HTMLResponse,
    summary="The article as a web page, the cited sentence highlighted and scrolled to",
    responses={200: {"content": {"text/html": {}}, "description": "The reader page (HTML)"}},
)
async def reader_page(
    source: str,
    container: ContainerDep,
    sentence: int | None = Query(
        None, description="The cited sentence (1-based, as citations number them)."
    ),
) -> HTMLResponse:
    """The article's sentences, its title, date and site; `sentence` highlighted."""
    snap = await snapshot(container)
    known(snap, source)
    if sentence is not None:
        check_sentence(snap, source, sentence)
    view = ReaderView(snap.documents[source], snap.of_document(source), sentence)
    return HTMLResponse(render(view), headers=HEADERS)
