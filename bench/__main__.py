"""``python -m bench``: latency of /ask (extractive) in-process and over HTTP, after warm-up.
(``python -m bench faults``: the soak under faults, bench/faults.py.)

Builds a fresh index of the default corpus in a temporary folder, then times each question
of ``bench/questions.txt`` ``--rounds`` times: once through the ASGI app in-process
(TestClient) and once over real HTTP against uvicorn on a loopback port. Prints p50, p95
and max per path and writes ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "bench" / "questions.txt"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(name: str, ms: list[float]) -> dict[str, float | str | int]:
    return {
        "path": name,
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "max_ms": round(max(ms), 1),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_calls(post: object, questions: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            r = post("/ask", json={"question": q})  # type: ignore[operator]
            out.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200:
                raise SystemExit(f"/ask answered {r.status_code}: {r.text}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "what",
        nargs="?",
        default="latency",
        choices=["latency", "faults"],
        help="`faults`: the soak under faults of bench/faults.py",
    )
    parser.add_argument("--rounds", type=int, default=5, help="passes over the question list")
    args = parser.parse_args()
    if args.what == "faults":
        from bench.faults import run

        raise SystemExit(run())
    questions = [q for q in QUESTIONS.read_text().splitlines() if q.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NEWSQA_DATA__DIR": tmp, "NEWSQA_ANSWER__MODE": "extractive"}
        os.environ.update(env)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "ingest", "-q", str(ROOT / "data" / "articles")],
            check=True,
            env=env,
        )
        ingest_s = time.perf_counter() - t

        from fastapi.testclient import TestClient

        from service.app import create_app
        from service.settings import Settings

        results = []
        with TestClient(create_app(Settings())) as client:
            time_calls(client.post, questions, 1)  # warm-up
            results.append(summary("in-process", time_calls(client.post, questions, args.rounds)))

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "service"],
            env={**env, "NEWSQA_SERVER__PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                deadline = time.time() + 120
                while True:
                    try:
                        if http.get("/ready").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.time() > deadline:
                        raise SystemExit("service did not become ready")
                    time.sleep(0.5)
                time_calls(http.post, questions, 1)
                results.append(summary("http", time_calls(http.post, questions, args.rounds)))
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(f"index build (5 articles, cold process): {ingest_s:.1f} s")
    print(f"{'path':<12} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for r in results:
        print(f"{r['path']:<12} {r['n']:>5} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    record = {"cpus": os.cpu_count(), "ingest_s": round(ingest_s, 2), "ask": results}
    (out / "latest.json").write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
