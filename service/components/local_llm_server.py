"""Start the local llama.cpp server and prove it can answer before anyone relies on it.

A server that answers ``GET /v1/models`` can still die on its first real completion: a
llama.cpp built for instructions the CPU does not really execute traps with "invalid
opcode" only once a prompt of some length reaches the matrix kernels (issue 10). So the
check that the server is up is a real streamed chat completion over a prompt of a few
hundred tokens, and a crash is reported with the tail of the server's own log instead of
a "Connection error" three tests later. ``make llm-local`` (``python -m
service.components.local_llm check``) and the test fixture both use this.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from service.components.child_process import free_loopback_port, log_tail, stop_child
from service.components.local_llm import MODEL_ALIAS, server_argv

free_port = free_loopback_port  # the name the tests and `make llm-check` know

# A neutral news-like passage (not from any corpus) repeated into a prompt of a few hundred
# tokens: long enough to reach the batched matrix kernels that a mis-built llama.cpp traps in.
_PASSAGE = (
    "The city council met on Tuesday to discuss the new budget for public transport. "
    "The mayor said that ticket prices would stay the same for another year. "
    "Opposition members argued that the bus network needed more money for repairs. "
    "A spokesperson for the transport agency said new trains would arrive in the spring. "
)
PROBE_QUESTION = "In one sentence, what did the mayor say about ticket prices?"


class LocalLLMCrashed(RuntimeError):
    """The local model server exited, or stopped answering, on a real completion."""


@dataclass(frozen=True)
class CompletionProbe:
    """What one real streamed completion measured."""

    prompt_tokens: int
    completion_tokens: int
    time_to_first_token_s: float
    total_s: float
    text: str

    @property
    def tokens_per_s(self) -> float:
        """Generation speed after the first token (prompt processing excluded)."""
        gen_s = self.total_s - self.time_to_first_token_s
        if gen_s <= 0 or self.completion_tokens <= 1:
            return 0.0
        return (self.completion_tokens - 1) / gen_s

    def summary(self) -> str:
        return (
            f"{self.prompt_tokens} prompt tokens, {self.completion_tokens} completion tokens; "
            f"time to first token {self.time_to_first_token_s:.2f} s, "
            f"{self.tokens_per_s:.1f} tokens/s generated, {self.total_s:.2f} s in all"
        )


def probe_messages(repeats: int = 6) -> list[dict[str, str]]:
    """A system prompt plus a user turn of roughly 300-400 tokens."""
    return [
        {"role": "system", "content": "You answer questions about news articles briefly."},
        {"role": "user", "content": f"Article:\n{_PASSAGE * repeats}\nQuestion: {PROBE_QUESTION}"},
    ]


def probe_completion(
    base_url: str, timeout_s: float = 120.0, max_tokens: int = 48
) -> CompletionProbe:
    """One streamed chat completion; raises ``httpx.HTTPError`` when the server fails it."""
    body = {
        "model": MODEL_ALIAS,
        "messages": probe_messages(),
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": True,
    }
    start = time.perf_counter()
    first: float | None = None
    chunks: list[str] = []
    usage: dict[str, int] = {}
    with httpx.stream("POST", f"{base_url}/chat/completions", json=body, timeout=timeout_s) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if not line.startswith("data:") or line.strip() == "data: [DONE]":
                continue
            event = json.loads(line[5:])
            usage = event.get("usage") or usage
            for choice in event.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    first = first if first is not None else time.perf_counter() - start
                    chunks.append(piece)
    total = time.perf_counter() - start
    if not chunks:
        raise httpx.HTTPError("the completion streamed no text")
    if "prompt_tokens" not in usage:  # llama-cpp-python's stream carries no usage: ask again
        again = httpx.post(
            f"{base_url}/chat/completions",
            json={**body, "stream": False, "max_tokens": 1},
            timeout=timeout_s,
        )
        again.raise_for_status()
        usage = {**again.json().get("usage", {}), "completion_tokens": len(chunks)}
    return CompletionProbe(
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        completion_tokens=int(usage.get("completion_tokens", len(chunks))),
        time_to_first_token_s=first if first is not None else total,
        total_s=total,
        text="".join(chunks),
    )


@contextmanager
def running_local_llm(
    log: Path,
    port: int | None = None,
    start_timeout_s: float = 180.0,
    argv: list[str] | None = None,
) -> Iterator[tuple[str, CompletionProbe]]:
    """Start the server, wait until it lists its model, prove it with a real completion.

    Yields ``(base_url, probe)``; raises :class:`LocalLLMCrashed` with the log tail when the
    server exits or fails its first completion. The server is stopped on exit. ``argv``
    replaces the server's command line (tests: a process that dies the way a trapped
    llama.cpp does); it must listen on ``port``.
    """
    port = port or free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(argv or server_argv(port), stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if proc.poll() is not None:
                raise LocalLLMCrashed(
                    f"the local model server exited {proc.returncode} before it was up:\n"
                    f"{log_tail(log)}"
                )
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise LocalLLMCrashed(
                    f"the local model server was not up after {start_timeout_s:.0f} s:\n"
                    f"{log_tail(log)}"
                )
            time.sleep(0.5)
        try:
            probe = probe_completion(base)
        except (httpx.HTTPError, json.JSONDecodeError) as exc:
            time.sleep(0.5)  # let a dying server finish writing its log
            state = "exited" if proc.poll() is not None else "is still running but failed it"
            raise LocalLLMCrashed(
                f"the local model crashed on its first completion ({exc!r}; the server {state}). "
                "A llama-cpp-python wheel built for instructions this CPU does not execute does "
                "this (docs/llm.md, 'How the wheel is built'). Server log tail:\n"
                f"{log_tail(log)}"
            ) from exc
        yield base, probe
    finally:
        stop_child(proc)


def main() -> int:
    """``make llm-check``: start the server on a free port, prove it, print the figures."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        try:
            with running_local_llm(Path(tmp) / "llama-server.log") as (base, probe):
                print(f"local model OK at {base}: {probe.summary()}")
                print(f"answer: {probe.text.strip()!r}")
        except LocalLLMCrashed as exc:
            print(str(exc))
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
