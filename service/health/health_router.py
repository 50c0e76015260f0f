"""GET /health (the process is alive) and GET /ready (index loaded, Chroma answering)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from service.deps import ContainerDep
from service.index.errors import IndexUnavailable

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
async def ready(container: ContainerDep) -> JSONResponse:
    def check() -> dict[str, object]:
        state = container.state()
        state.store.heartbeat()
        snap = state.snapshot()
        return {"documents": len(snap.documents), "sentences": len(snap.sentences)}

    try:
        info = await run_in_threadpool(check)
    except IndexUnavailable as exc:
        container.reset()
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
    if not info["documents"]:
        return JSONResponse(
            {"status": "unavailable", "detail": "the index holds no documents", **info},
            status_code=503,
        )
    return JSONResponse({"status": "ready", **info})
