"""Helpers for tests that start real programs (service, Chroma, llama.cpp) as subprocesses."""

from __future__ import annotations

import subprocess


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str] | None, timeout: float = 15) -> None:
    """Ask a process to end, then kill it if it does not within ``timeout`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
