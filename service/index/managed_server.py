"""A Chroma server over the embedded folder, so that several worker processes can serve it.

Embedded Chroma is one process's (``ownership``): another process's embedded client would
serve stale ids after a write. When the service is asked for several workers on an
embedded index, the supervising process therefore owns the folder (as the service, so
``python -m ingest`` beside it still writes through the document API) and starts the same
program ``chroma run`` on it, bound to loopback on a free port. The workers are pointed at
that server (``chroma.mode = "http"``) and follow each other's writes through the index's
generation marker, as with any Chroma server; the data stays where ``make index`` put it.

Hand-written because it is process supervision of one child, a few lines with
``subprocess``; the server program itself is Chroma's own.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from service.components.child_process import free_loopback_port, log_tail, stop_child
from service.index import ownership

log = logging.getLogger(__name__)

LOG_NAME = "chroma-server.log"


class ManagedServerFailed(RuntimeError):
    """``chroma run`` exited or never answered its heartbeat."""


def chroma_program() -> str:
    beside = Path(sys.executable).with_name("chroma")  # the venv's, as pip installed it
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if found is None:
        raise ManagedServerFailed("the `chroma` program (chromadb's server) is not installed")
    return found


def _die_with_parent() -> None:
    """In the child, before ``exec``: Linux sends it SIGTERM when the supervisor dies, even
    by SIGKILL, so no orphaned server keeps writing a folder nobody owns any more."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@contextmanager
def chroma_server_over(
    folder: Path, owner_url: str, wait_for_ingest_s: float, ready_within_s: float = 90.0
) -> Iterator[int]:
    """Own ``folder``, serve it with ``chroma run`` on loopback, yield the port; stop after."""
    ownership.wait_for_owner(folder, "service", owner_url, wait_for_ingest_s)
    log_path = folder.parent / LOG_NAME
    port = free_loopback_port()
    argv = [chroma_program(), "run", "--path", str(folder), "--host", "127.0.0.1"]
    argv += ["--port", str(port)]
    proc: subprocess.Popen[bytes] | None = None
    try:
        with log_path.open("ab") as out:
            proc = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        deadline = time.monotonic() + ready_within_s
        while True:
            if proc.poll() is not None:
                raise ManagedServerFailed(
                    f"`chroma run` exited with {proc.returncode}; {log_path}:\n{log_tail(log_path)}"
                )
            try:
                url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
                if httpx.get(url, timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise ManagedServerFailed(
                    f"`chroma run` did not answer within {ready_within_s:.0f} s; "
                    f"{log_path}:\n{log_tail(log_path)}"
                )
            time.sleep(0.2)
        log.info("serving the embedded folder %s through `chroma run` (pid %d)", folder, proc.pid)
        ownership.announce_chroma_port(folder, port)
        yield port
    finally:
        if proc is not None:
            stop_child(proc)
        ownership.release(folder)


def point_workers_at(port: int) -> None:
    """Worker processes read their settings from the environment they inherit."""
    os.environ.update(
        NEWSQA_CHROMA__MODE="http",
        NEWSQA_CHROMA__HOST="127.0.0.1",
        NEWSQA_CHROMA__PORT=str(port),
    )
