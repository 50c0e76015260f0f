"""POST/GET/DELETE /documents: manage the indexed documents (admin scope when auth is on).

``POST /documents`` takes either a multipart file upload (field ``file``; the file name is
the source unless a ``source`` field names it) or JSON ``{"source", "text"}``. The body is
read by this module, not by FastAPI, so that its size is checked before it is read whole:
a ``Content-Length`` over the limit is refused at once, and a body that streams past the
limit is cut off there.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ingest.loaders import SAFE_NAME_PATTERN
from ingest.pipeline import DocumentMeta
from service.documents.documents_service import DocumentsService
from service.errors import ApiError
from service.index.store import DocumentEntry

router = APIRouter(tags=["documents"])
URL_PATTERN = r"^https?://\S+$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid source name (folders, `..`, odd characters)"},
    401: {"description": "No or unknown API key (when auth is on)"},
    403: {"description": "The key lacks the admin scope"},
    404: {"description": "Unknown document"},
    503: {"description": "Chroma does not answer"},
}


async def get_documents_service(request: Request) -> DocumentsService:
    service: DocumentsService = request.app.state.documents_service
    return service


DocumentsServiceDep = Annotated[DocumentsService, Depends(get_documents_service)]


class DocumentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"source": "005_memo.txt", "text": "Title\n\nFirst sentence. Second."}]
        },
    )
    source: str = Field(
        pattern=SAFE_NAME_PATTERN,
        description="File name the citations will carry, e.g. `005_memo.txt` (a plain file "
        "name: no folders, no `..`, a suffix from `ingest.suffixes`).",
    )
    text: str = Field(description="The document's text (UTF-8).")
    url: str | None = Field(
        None,
        pattern=URL_PATTERN,
        max_length=2000,
        description="Where the document was published (e.g. a feed entry's page).",
    )
    date: str | None = Field(
        None,
        pattern=DATE_PATTERN,
        description="Its publication date, YYYY-MM-DD; wins over a date the document states.",
    )


def document_meta(url: str | None, date: str | None) -> DocumentMeta | None:
    """A write's metadata fields, checked as the JSON body's are (422 otherwise)."""
    if url is None and date is None:
        return None
    if url is not None and (len(url) > 2000 or not re.fullmatch(URL_PATTERN, url)):
        raise ApiError(422, "url: an http(s) URL of at most 2000 characters")
    if date is not None and not re.fullmatch(DATE_PATTERN, date):
        raise ApiError(422, "date: a date as YYYY-MM-DD")
    return DocumentMeta(url=url, date=date)


class DocumentOut(BaseModel):
    source: str
    title: str | None = None
    date: str | None = None
    url: str | None = None
    sentences: int
    doc_hash: str | None = None
    updated_at: float | None = None

    @classmethod
    def of(cls, entry: DocumentEntry) -> DocumentOut:
        return cls(
            source=entry.source,
            title=entry.title,
            date=entry.date,
            url=entry.url,
            sentences=entry.sentences,
            doc_hash=entry.doc_hash,
            updated_at=entry.updated_at,
        )


class WriteOut(BaseModel):
    source: str
    status: str = Field(description="`added`, `unchanged`, `replaced` or `removed`.")
    sentences: int
    document: DocumentOut | None = None


class DocumentList(BaseModel):
    count: int
    documents: list[DocumentOut]


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit``."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise ApiError(413, f"request body is {length} bytes; the limit is {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _from_multipart(
    request: Request, body: bytes, service: DocumentsService
) -> tuple[str, bytes, DocumentMeta | None]:
    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    form = await Request(request.scope, replay).form(max_files=1, max_fields=4)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "file: a multipart field `file` with the document is required")
        named = form.get("source")
        source = named if isinstance(named, str) and named else (upload.filename or "")
        if not source:
            raise ApiError(422, "source: the upload has no file name; add a `source` field")
        service.check_name(source)
        service.check_content_type(upload.content_type)
        url, date = form.get("url"), form.get("date")
        meta = document_meta(
            url if isinstance(url, str) and url else None,
            date if isinstance(date, str) and date else None,
        )
        return source, await upload.read(), meta
    finally:
        await form.close()


def _from_json(body: bytes, service: DocumentsService) -> tuple[str, bytes, DocumentMeta | None]:
    try:
        doc = DocumentIn.model_validate_json(body)
    except ValidationError as exc:
        for e in exc.errors():
            if e["loc"] == ("source",) and e["type"] == "string_pattern_mismatch":
                service.check_name(str(e["input"]))  # as for an upload's name: 400

        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        ]
        raise ApiError(422, "; ".join(problems)) from None
    return doc.source, doc.text.encode("utf-8"), document_meta(doc.url, doc.date)


@router.post(
    "/documents",
    status_code=201,
    response_model=WriteOut,
    responses={
        200: {"description": "Unchanged (same content) or replaced", "model": WriteOut},
        201: {"description": "Added"},
        413: {"description": "Body or document over the size limit"},
        415: {"description": "Unsupported media type or file type"},
        422: {"description": "No text left after cleaning, or malformed request"},
        **_ERRORS,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "source": {"type": "string", "description": "Overrides the name"},
                            "url": {
                                "type": "string",
                                "pattern": URL_PATTERN,
                                "maxLength": 2000,
                                "description": "Where the document was published",
                            },
                            "date": {
                                "type": "string",
                                "pattern": DATE_PATTERN,
                                "description": "Publication date, YYYY-MM-DD",
                            },
                        },
                    }
                },
                "application/json": {"schema": DocumentIn.model_json_schema()},
            },
        }
    },
)
async def add_document(
    request: Request, response: Response, service: DocumentsServiceDep
) -> WriteOut:
    """Index a document: added (201), or unchanged / replaced (200) when the name exists."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/json", "multipart/form-data"):
        raise ApiError(415, "send multipart/form-data (a `file` field) or application/json")
    body = await read_capped(request, service.settings.documents.max_request_bytes)
    if media == "application/json":
        source, data, meta = _from_json(body, service)
    else:
        source, data, meta = await _from_multipart(request, body, service)
    outcome, entry = await run_in_threadpool(service.put, source, data, meta)
    if outcome.status == "added":
        response.headers["Location"] = f"/documents/{source}"
    else:
        response.status_code = 200
    return WriteOut(
        source=source,
        status=outcome.status,
        sentences=outcome.sentences,
        document=DocumentOut.of(entry) if entry else None,
    )


@router.get("/documents", response_model=DocumentList, responses=_ERRORS)
async def list_documents(service: DocumentsServiceDep) -> DocumentList:
    """Every document in the index, as stored in Chroma now."""
    docs = await run_in_threadpool(service.list)
    return DocumentList(count=len(docs), documents=[DocumentOut.of(d) for d in docs])


@router.get(
    "/documents/export/archive.tar.gz",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The index as one .tar.gz archive (docs/backup.md)",
            "content": {"application/gzip": {}},
        },
        **{status: _ERRORS[status] for status in (401, 403, 503)},
    },
)
async def export_index(service: DocumentsServiceDep, vectors: bool = False) -> FileResponse:
    """The whole index as one archive, for `python -m ingest --export` (two segments
    below `/documents`, so no document route answers for it, whatever its source)."""
    path = await run_in_threadpool(service.export, vectors)
    return FileResponse(
        path,
        media_type="application/gzip",
        filename="newsqa-index.tar.gz",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.get("/documents/{source}", response_model=DocumentOut, responses=_ERRORS)
async def get_document(source: str, service: DocumentsServiceDep) -> DocumentOut:
    """One document's manifest entry (its sentences: `GET /sources/{source}`)."""
    return DocumentOut.of(await run_in_threadpool(service.get, source))


@router.delete("/documents/{source}", response_model=WriteOut, responses=_ERRORS)
async def delete_document(source: str, service: DocumentsServiceDep) -> WriteOut:
    """Remove a document and all its sentences."""
    outcome = await run_in_threadpool(service.delete, source)
    return WriteOut(source=source, status=outcome.status, sentences=0)
