"""``python -m bench``: speed of ingest and /ask, printed with the machine's load beside it.

python -m bench                      # seed corpus: /ask latency in-process and over HTTP,
                                     # req/s at 1/8/32 clients
python -m bench --scale 1000 10000   # N synthetic articles each (see bench/scale.py)
python -m bench --scale 10000 --distinct  # ... with no sentence repeated

python -m bench faults               # the soak under faults (bench/faults.py)

Writes ``bench/results/latest.json`` (seed) and ``bench/results/scale.json``. Timings on a
shared machine are noisy: every figure comes with ``os.getloadavg()``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.load import Service, filter_cost, latency, load_average, throughput, time_calls

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "bench" / "questions.txt"
RESULTS = ROOT / "bench" / "results"


def seed(rounds: int, requests: int) -> dict[str, Any]:
    questions = [q for q in QUESTIONS.read_text().splitlines() if q.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NEWSQA_DATA__DIR": tmp, "NEWSQA_ANSWER__MODE": "extractive"}
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "ingest", "-q", str(ROOT / "data" / "articles")],
            check=True,
            env=env,
        )
        ingest_s = time.perf_counter() - t
        os.environ.update(env)

        from fastapi.testclient import TestClient

        from service.app import create_app
        from service.settings import Settings

        results = []
        with TestClient(create_app(Settings())) as client:
            time_calls(client.post, questions, 1)  # warm-up
            results.append(latency("in-process", time_calls(client.post, questions, rounds)))
            sources = sorted(p.name for p in (ROOT / "data" / "articles").glob("*.txt"))[:3]
            filters = [
                filter_cost(
                    "sources (3 of 5)", client.post, questions, rounds, {"sources": sources}
                )
            ]
        with Service(env) as service:
            with httpx.Client(base_url=service.url, timeout=30) as http:
                time_calls(http.post, questions, 1)
                results.append(latency("http", time_calls(http.post, questions, rounds)))
            levels = [throughput(service.url, questions, c, requests) for c in (1, 8, 32)]
            rss, ready_s = service.rss_mb(), service.ready_s
    return {
        "cpus": os.cpu_count(),
        "ingest_s": round(ingest_s, 2),
        "ask": results,
        "filters": filters,
        "throughput": levels,
        "ready_s": round(ready_s, 1),
        "rss_mb": round(rss),
        "load": load_average(),
    }


def print_seed(record: dict[str, Any]) -> None:
    print(f"seed corpus (5 articles), load {record['load']}")
    print(f"index build (cold process): {record['ingest_s']:.1f} s; ready {record['ready_s']} s;")
    print(f"service RSS {record['rss_mb']} MB (all workers)")
    print(f"{'path':<12} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for r in record["ask"]:
        print(f"{r['path']:<12} {r['n']:>5} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8}")
    for f in record["filters"]:
        print_filter(f)
    for t in record["throughput"]:
        print(f"{t['clients']:>3} clients: {t['req_per_s']} req/s, {t['errors']} errors")


def print_filter(f: dict[str, Any]) -> None:
    print(
        f"filter {f['filter']}: in-process p50 {f['p50_ms']} ms without, "
        f"{f['p50_filtered_ms']} ms with (x{f['ratio']}, {f['n']} pairs)"
    )


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
    parser.add_argument("--requests", type=int, default=320, help="requests per load level")
    parser.add_argument("--scale", type=int, nargs="*", help="synthetic archive sizes")
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="each synthetic sentence marked so that none repeats (every one embedded)",
    )
    args = parser.parse_args()
    if args.what == "faults":
        from bench.faults import run

        raise SystemExit(run())
    RESULTS.mkdir(exist_ok=True)
    if not args.scale:
        record = seed(args.rounds, args.requests)
        print_seed(record)
        (RESULTS / "latest.json").write_text(json.dumps(record, indent=2))
        return

    from bench import scale, synthetic

    pool = synthetic.sentence_pool()
    questions = synthetic.questions(pool, 40)
    model = scale.model_throughput(pool)
    pages = scale.pages_cold()
    results = []
    for n in args.scale:
        results.append(scale.run(n, pool, questions, args.requests, args.distinct))
        print(scale.report(model, pages, results[-1:]).splitlines()[-1], flush=True)
        for f in results[-1]["filters"]:
            print_filter(f)
    print(scale.report(model, pages, results))
    record = {"model": model, "pages_cold": pages, "runs": results}
    (RESULTS / "scale.json").write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
