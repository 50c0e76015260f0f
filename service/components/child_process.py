"""What the service needs to run a helper server as a child process: a free loopback port,
the tail of its log for an error message, and a stop that does not hang.

Used for the local llama.cpp server (``local_llm_server``) and for the Chroma server over an
embedded folder (``index.managed_server``). Hand-written: three small functions over
``socket`` and ``subprocess``, where a process-supervision library would be a dependency
for nothing more.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Any


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log_tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return f"(no log at {log})"


def stop_child(proc: subprocess.Popen[Any], grace_s: float = 20.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``grace_s``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
