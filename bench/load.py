"""Measuring a running service: start-up to /ready, memory, latency and throughput."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from service.components.child_process import free_loopback_port as free_port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def latency(name: str, ms: list[float]) -> dict[str, Any]:
    return {
        "path": name,
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "max_ms": round(max(ms), 1),
    }


def load_average() -> str:
    """The 1/5/15-minute load, printed beside every timing (the machine is shared)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def time_calls(
    post: Callable[..., Any],
    questions: list[str],
    rounds: int,
    fields: dict[str, Any] | None = None,
) -> list[float]:
    """Milliseconds of each ``/ask`` of ``questions`` (``rounds`` passes), with the
    request's other ``fields`` (a filter) when given."""
    out = []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            r = post("/ask", json={"question": q, **(fields or {})})
            out.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200:
                raise SystemExit(f"/ask answered {r.status_code}: {r.text}")
    return out


def paired_calls(
    post: Callable[..., Any], questions: list[str], rounds: int, fields: dict[str, Any]
) -> tuple[list[float], list[float]]:
    """Each question asked without and with ``fields``, one after the other, so that both
    lists see the same moments of a shared machine's load: (without, with)."""
    plain: list[float] = []
    filtered: list[float] = []
    for _ in range(rounds):
        for q in questions:
            plain += time_calls(post, [q], 1)
            filtered += time_calls(post, [q], 1, fields)
    return plain, filtered


def filter_cost(
    name: str, post: Callable[..., Any], questions: list[str], rounds: int, fields: dict[str, Any]
) -> dict[str, Any]:
    """p50 of ``/ask`` without and with a filter, asked in pairs, and their ratio."""
    plain, filtered = paired_calls(post, questions, rounds, fields)
    a, b = statistics.median(plain), statistics.median(filtered)
    return {
        "filter": name,
        "fields": fields,
        "n": len(plain),
        "p50_ms": round(a, 1),
        "p50_filtered_ms": round(b, 1),
        "ratio": round(b / a, 3),
    }


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (uvicorn workers), in MB."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


class Service:
    """``python -m service`` on a loopback port, with the given environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        # Served as `make run` serves: one worker per core unless the environment says.
        self.env = {"NEWSQA_SERVER__WORKERS": "0", **env, "NEWSQA_SERVER__PORT": str(self.port)}
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_s = 0.0

    def __enter__(self) -> Service:
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 600
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while True:
                try:
                    if http.get("/ready").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if self.proc.poll() is not None or time.time() > deadline:
                    raise SystemExit("service did not become ready")
                time.sleep(0.2)
        self.ready_s = time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=60)

    def rss_mb(self) -> float:
        return tree_rss_mb(self.proc.pid) if self.proc else 0.0


async def _clients(url: str, questions: list[str], clients: int, per_client: int) -> list[int]:
    codes: list[int] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:

        async def one(c: int) -> None:
            for i in range(per_client):
                q = questions[(c * per_client + i) % len(questions)]
                try:
                    r = await http.post("/ask", json={"question": q})
                    codes.append(r.status_code)
                except httpx.HTTPError:
                    codes.append(0)

        await asyncio.gather(*(one(c) for c in range(clients)))
    return codes


def throughput(url: str, questions: list[str], clients: int, requests: int) -> dict[str, Any]:
    """``clients`` concurrent keep-alive clients sending ``requests`` in all: req/s, errors."""
    per_client = max(1, requests // clients)
    started = time.perf_counter()
    codes = asyncio.run(_clients(url, questions, clients, per_client))
    seconds = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(codes),
        "req_per_s": round(len(codes) / seconds, 1),
        "errors": sum(1 for c in codes if c != 200),
    }
