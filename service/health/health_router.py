"""GET /health (the process is alive) and GET /ready (index loaded, Chroma answering)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from service.deps import ContainerDep
from service.errors import UNAVAILABLE_DETAIL
from service.index.errors import IndexUnavailable

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


class ReadyOut(BaseModel):
    status: str = Field(description="`ready` or `unavailable`.")
    detail: str | None = Field(None, description="Why not ready (what is down, not where).")
    documents: int | None = None
    sentences: int | None = None


@router.get(
    "/ready",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "Not ready: `detail` says why"}},
)
async def ready(container: ContainerDep) -> JSONResponse:
    def check() -> dict[str, object]:
        state = container.state()
        state.store.heartbeat()
        snap = state.snapshot()
        return {"documents": len(snap.documents), "sentences": len(snap.sentences)}

    try:
        # A hung server is known from the watch at once; each call has its own timeout.
        if container.watch is not None and container.watch.down:
            raise IndexUnavailable("Chroma does not answer its heartbeat")
        info = await run_in_threadpool(check)
    except IndexUnavailable as exc:
        container.reset()
        log.warning("not ready: %s", exc)
        return JSONResponse(
            {"status": "unavailable", "detail": UNAVAILABLE_DETAIL}, status_code=503
        )
    if not info["documents"]:
        return JSONResponse(
            {"status": "unavailable", "detail": "the index holds no documents", **info},
            status_code=503,
        )
    return JSONResponse({"status": "ready", **info})
