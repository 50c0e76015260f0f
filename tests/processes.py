"""Helpers for tests that start real programs (service, Chroma, llama.cpp) as subprocesses."""

from __future__ import annotations

import subprocess

from service.components.child_process import stop_child


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str] | None, timeout: float = 15) -> None:
    """Ask a process to end, then kill it if it does not within ``timeout`` seconds."""
    if proc is not None:
        stop_child(proc, timeout)
