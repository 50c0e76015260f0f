"""``python -m bench --scale N [N...]``: the service over N synthetic articles.

For each N: ingest with an empty cache (cold) and again into an empty index with the
cache full (warm: every vector, entity label and paragraph split is in the cache file,
as when an archive is re-indexed; the parsing of each file and the Chroma writes remain);
index size on disk; start-up to /ready; service RSS; /ask
latency in-process and over HTTP; req/s at 1, 8 and 32 concurrent clients. The articles
are made of real sentences that repeat across articles (see ``bench.synthetic``), so the
cold ingest embeds each distinct sentence once. Two lines say what a cold ingest of
text that does not repeat (a real archive) runs at: the model's own throughput on the
distinct sentences, and a cold ingest of the benchmark pages themselves (HTML extraction,
cleaning, splitting, tagging, embedding and writing, nothing cached).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import synthetic
from bench.load import Service, filter_cost, latency, load_average, throughput, time_calls

_SUMMARY = re.compile(r"(\d+) sentences \((\d+) embedded, (\d+) from cache\)")


def _du_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def timed_ingest(folder: Path, env: dict[str, str]) -> dict[str, Any]:
    """``python -m ingest -q folder`` in a process of its own: seconds and sentence counts."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "-q", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode:  # say why: the output is captured, and the folder goes with the run
        raise SystemExit(
            f"python -m ingest {folder} failed (exit {done.returncode}) after {seconds:.0f} s:"
            f"\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )
    m = _SUMMARY.search(done.stdout)
    if not m:
        raise SystemExit(f"unexpected ingest output: {done.stdout!r}")
    sentences, embedded, cached = (int(g) for g in m.groups())
    return {
        "seconds": round(seconds, 1),
        "sentences": sentences,
        "embedded": embedded,
        "from_cache": cached,
        "sentences_per_s": round(sentences / seconds, 1),
        "load": load_average(),
    }


def model_throughput(pool: list[str]) -> dict[str, Any]:
    """Sentences/s of the configured embedder alone, on the distinct pool sentences."""
    from service.components.embeddings import ingest_threads, make_embedder
    from service.settings import Settings

    settings = Settings()
    embedder = make_embedder(
        settings.embedding, settings.llm, threads=ingest_threads(settings.embedding)
    )
    embedder.embed(pool[:64])  # session warm-up
    started = time.perf_counter()
    embedder.embed(pool)
    seconds = time.perf_counter() - started
    return {
        "embedder": embedder.name,
        "sentences": len(pool),
        "sentences_per_s": round(len(pool) / seconds, 1),
        "load": load_average(),
    }


def pages_cold() -> dict[str, Any]:
    """A cold ingest of the benchmark's HTML pages into an empty index: real pages, whose
    sentences hardly repeat, so the model embeds nearly every one."""
    with tempfile.TemporaryDirectory(prefix="newsqa-pages-") as tmp:
        env = {**os.environ, "NEWSQA_DATA__DIR": str(Path(tmp) / "data")}
        out = timed_ingest(synthetic.PAGES, env)
    return {"pages": len(list(synthetic.PAGES.glob("*.htm*")))} | out


def run(
    n: int, pool: list[str], questions: list[str], requests: int, distinct: bool = False
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"newsqa-scale-{n}-") as tmp:
        root = Path(tmp)
        folder = root / "articles"
        written = synthetic.write_articles(folder, n, pool, distinct=distinct)
        env = {
            **os.environ,
            "NEWSQA_DATA__DIR": str(root / "data"),
            "NEWSQA_ANSWER__MODE": "extractive",
        }
        env.setdefault("NEWSQA_DOCUMENTS__MAX_DOCUMENTS", str(max(n * 2, 1000)))
        cold = timed_ingest(folder, env)
        shutil.rmtree(root / "data" / "chroma")  # keep the embedding cache
        warm = timed_ingest(folder, env)
        size = {
            "chroma_mb": round(_du_mb(root / "data" / "chroma"), 1),
            "cache_mb": round(_du_mb(root / "data" / "embedding-cache.sqlite3"), 1),
        }
        with Service(env) as service:
            with httpx.Client(base_url=service.url, timeout=60) as http:
                time_calls(http.post, questions[:5], 1)  # warm-up
                http_ms = time_calls(http.post, questions, 1)
            levels = [throughput(service.url, questions, c, requests) for c in (1, 8, 32)]
            rss = service.rss_mb()
            ready_s = service.ready_s
        # A restart starts from the snapshot file the first start wrote (see
        # service.index.snapshot_file); the first start built it from Chroma.
        with Service(env) as service:
            restart_s = service.ready_s
        in_process, filters = _in_process(env, questions, n)
    return {
        "articles": n,
        "distinct": distinct,
        "sentences_written": written,
        "ingest_cold": cold,
        "ingest_warm": warm,
        "size": size,
        "ready_s": round(ready_s, 1),
        "restart_ready_s": round(restart_s, 1),
        "rss_mb": round(rss, 0),
        "ask_http": latency("http", http_ms),
        "ask_in_process": latency("in-process", in_process),
        "filters": filters,
        "throughput": levels,
        "load": load_average(),
    }


# Passes over the questions for each filter's pairs: one pass (40 pairs) moved a ratio by
# 0.1 between runs on a loaded machine.
FILTER_ROUNDS = 3


def _in_process(
    env: dict[str, str], questions: list[str], n: int
) -> tuple[list[float], list[dict[str, Any]]]:
    """/ask through the ASGI app in this process (no HTTP), with the same settings; and the
    cost of filters (each question without and with one, in pairs): a month of the
    synthetic archive's year of dates (~8 % of it), its first half, the whole year (every
    document: it takes the unfiltered path), one site's worth of named sources (the first
    tenth of the files, at most 100)."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        with TestClient(create_app(Settings())) as client:
            time_calls(client.post, questions[:5], 1)
            plain = time_calls(client.post, questions, 1)
            month = {"date_from": "2024-03-01", "date_to": "2024-03-31"}
            half = {"date_from": "2024-01-01", "date_to": "2024-06-30"}
            year = {"date_from": "2024-01-01", "date_to": "2024-12-31"}
            named = {"sources": [synthetic.file_name(i) for i in range(0, n, 10)][:100]}
            filters = [
                filter_cost("one month", client.post, questions, FILTER_ROUNDS, month),
                filter_cost("half the year", client.post, questions, FILTER_ROUNDS, half),
                filter_cost("the whole year", client.post, questions, FILTER_ROUNDS, year),
                filter_cost(
                    f"{len(named['sources'])} sources", client.post, questions, FILTER_ROUNDS, named
                ),
            ]
            return plain, filters
    finally:
        os.environ.clear()
        os.environ.update(saved)


def report(model: dict[str, Any], pages: dict[str, Any], results: list[dict[str, Any]]) -> str:
    lines = [
        "Synthetic articles: real sentences from the html-extraction benchmark pages, drawn "
        "at random, so sentences REPEAT across articles and the embedding cache is exercised"
        " (rows marked 'distinct': each sentence carries a mark of its own, so none repeats).",
        "Text that does not repeat (a real archive) ingests cold at about the model's rate:",
        f"  model alone ({model['embedder']}): {model['sentences_per_s']} sentences/s on "
        f"{model['sentences']} distinct sentences (load {model['load']})",
        f"  the {pages['pages']} benchmark pages, cold: {pages['sentences_per_s']} sentences/s "
        f"({pages['sentences']} sentences, {pages['embedded']} embedded, {pages['seconds']} s, "
        f"load {pages['load']})",
        "",
        "| articles | sentences | ingest cold s/s (embedded/cached) | ingest warm s/s | "
        "index MB (chroma + cache) | ready s (first/restart) | RSS MB | /ask in-proc p50/p95 ms | "
        "/ask HTTP p50/p95 ms | req/s 1/8/32 (errors) | load 1/5/15 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c, w, s = r["ingest_cold"], r["ingest_warm"], r["size"]
        ip, hp = r["ask_in_process"], r["ask_http"]
        rps = "/".join(str(t["req_per_s"]) for t in r["throughput"])
        errors = sum(t["errors"] for t in r["throughput"])
        kind = " distinct" if r.get("distinct") else ""
        lines.append(
            f"| {r['articles']}{kind} | {c['sentences']} | {c['sentences_per_s']} "
            f"({c['embedded']}/{c['from_cache']}) | {w['sentences_per_s']} | "
            f"{s['chroma_mb']} + {s['cache_mb']} | {r['ready_s']}/{r['restart_ready_s']} | "
            f"{r['rss_mb']:.0f} | "
            f"{ip['p50_ms']}/{ip['p95_ms']} | {hp['p50_ms']}/{hp['p95_ms']} | "
            f"{rps} ({errors}) | {r['load']} |"
        )
    return "\n".join(lines)
