"""``python -m ingest`` beside a running service: the documents go through its API.

When a service owns the embedded index folder (``service.index.ownership``), the CLI
must not write the folder itself; it sends each file to ``POST /documents`` (the same
loaders, cleaning and versioned write run in the service), removes with ``DELETE``, and
compares content hashes with ``GET /documents`` for ``--check`` and ``--sync``. The
summary line is the same as a local run's.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from ingest.pipeline import DocumentMeta, Outcome, Status, Summary, content_hash

_STATUSES: set[Status] = {"added", "unchanged", "replaced", "removed"}


class ServiceWriter:
    def __init__(self, url: str, admin_key: str | None, timeout_s: float = 300.0) -> None:
        headers = {"Authorization": f"Bearer {admin_key}"} if admin_key else {}
        self.http = httpx.Client(base_url=url, headers=headers, timeout=timeout_s)

    def close(self) -> None:
        self.http.close()

    def _error(self, response: httpx.Response) -> str:
        try:
            return str(response.json().get("detail") or response.text)
        except ValueError:
            return response.text or f"HTTP {response.status_code}"

    def documents(self) -> dict[str, str]:
        """source -> content hash of what the service's index holds."""
        r = self.http.get("/documents")
        if r.status_code != 200:
            raise httpx.HTTPError(f"GET /documents: {r.status_code} {self._error(r)}")
        return {d["source"]: d.get("doc_hash") or "" for d in r.json()["documents"]}

    def put(self, path: Path) -> Outcome:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return Outcome(path.name, "failed", error=str(exc))
        return self.put_bytes(path.name, data)

    def put_bytes(self, source: str, data: bytes, meta: DocumentMeta | None = None) -> Outcome:
        """One document through ``POST /documents`` (a feed page with its URL and date)."""
        fields: dict[str, str] = {}
        if meta is not None:
            fields = {k: v for k, v in (("url", meta.url), ("date", meta.date)) if v}
        r = self.http.post("/documents", files={"file": (source, data)}, data=fields)
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        status = body.get("status")
        if r.status_code in (200, 201) and status in _STATUSES:
            return Outcome(source, status, int(body.get("sentences", 0)))
        return Outcome(source, "failed", error=f"{r.status_code}: {self._error(r)}")

    def remove(self, source: str) -> Outcome:
        r = self.http.delete(f"/documents/{source}")
        if r.status_code == 200:
            return Outcome(source, "removed")
        if r.status_code == 404:
            return Outcome(source, "unchanged")
        return Outcome(source, "failed", error=f"{r.status_code}: {self._error(r)}")


def run_remote(
    writer: ServiceWriter,
    files: list[Path],
    remove: list[str],
    sync: bool,
    check: bool,
    embedder_name: str,
) -> tuple[Summary | None, bool]:
    """(summary of the writes, or None for ``--check``; whether the index is stale)."""
    if check or sync:
        held = writer.documents()
    if check:
        stale = any(
            held.get(f.name) != content_hash(f.read_bytes(), embedder_name) for f in files
        ) or (sync and bool(set(held) - {f.name for f in files}))
        return None, stale
    started = time.perf_counter()
    summary = Summary()
    summary.outcomes.extend(writer.put(f) for f in files)
    summary.outcomes.extend(writer.remove(s) for s in remove)
    if sync:
        summary.outcomes.extend(
            writer.remove(s) for s in sorted(set(held) - {f.name for f in files})
        )
    summary.seconds = time.perf_counter() - started
    return summary, False
