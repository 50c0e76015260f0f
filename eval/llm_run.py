"""Measure the ``llm`` answer mode through ``/ask/stream``: citations, refusals, latency and
time to first token, per case, from a running service or one started in-process.

    python -m eval.llm_run --out /tmp/llm-run.json                  # in-process, settings from env
    python -m eval.llm_run --url http://127.0.0.1:8000 --cases eval/holdout/cases.jsonl

The stream is used (not ``/ask``) because its deltas are the model's raw reply: the record
keeps both the raw reply and the verified answer, which is what ``eval.tune_support``
labels and tunes the support threshold on. Figures printed:

- model citations that support their sentence: of the ``[n]`` the model wrote that point at
  a shown sentence, the share that the verifier accepted as written (not re-aligned);
- answer sentences with a valid supporting citation: of the model's sentences (claims),
  the share shown with one (the model's own or one the service aligned);
- shown citations that support their sentence: checked again here, independently of the
  service's verifier (the cited text is the stored sentence, carries every number of the
  claim, and holds at least half of the claim's content words);
- refusals of unanswerable cases, false refusals of answerable ones, fallbacks;
- p50/p95 of the total latency and of the time to the first delta.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from eval.cases import DEV_CASES, Case, load_cases

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{3,}")
_DIGITS = re.compile(r"\d+")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def independent_support(claim: str, cited: list[str]) -> bool:
    """A check of a shown citation that does not reuse the service's verifier."""
    text = " ".join(cited).lower()
    if any(d not in text for d in _DIGITS.findall(claim)):
        return False
    words = {w.lower() for w in _WORD.findall(claim)}
    return not words or sum(w in text for w in words) / len(words) >= 0.5


def ask_stream(client: httpx.Client, case: Case) -> dict[str, Any]:
    payload: dict[str, Any] = {"question": case.question, "mode": "llm", "include_retrieval": True}
    if case.history:
        payload["history"] = [t.model_dump() for t in case.history]
    started = time.perf_counter()
    first: float | None = None
    deltas: list[str] = []
    final: dict[str, Any] = {}
    event = ""
    with client.stream("POST", "/ask/stream", json=payload) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data = json.loads(line.split(":", 1)[1])
                if event == "delta":
                    first = first if first is not None else time.perf_counter() - started
                    deltas.append(data["text"])
                elif event == "final":
                    final = data
                elif event == "error":
                    final = {"error": data}
    total = time.perf_counter() - started
    return {
        "id": case.id,
        "question": case.question,
        "answerable": case.answerable,
        "tags": case.tags,
        "raw": "".join(deltas),
        "final": final,
        "ttft_s": first,
        "total_s": total,
    }


def refused(records: list[dict[str, Any]]) -> int:
    return sum(bool(r["final"].get("refused")) for r in records)


def summarise(records: list[dict[str, Any]], lookup: dict[tuple[str, int], str]) -> dict[str, Any]:
    claims = [c for r in records for c in (r["final"].get("claims") or [])]
    checkable = [c for c in claims if not c.get("decline")]
    written = [c for c in checkable if c.get("model_citations")]
    own_ok = [c for c in written if c["supported"] and not c["aligned"]]
    shown = [c for c in checkable if c.get("shown")]
    cites_ok = cites = 0
    valid = 0
    for r in records:
        by_id = {c["id"]: c for c in r["final"].get("citations", [])}
        for c in by_id.values():
            valid += lookup.get((c["source"], c["sentence"])) == c["text"]
        if r["final"].get("mode") != "llm":
            continue
        for claim in r["final"].get("claims") or []:
            if claim.get("shown"):
                for i in claim["citations"]:
                    cites += 1
                    cites_ok += independent_support(claim["text"], [by_id[i]["text"]])
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    llm_answers = [
        r for r in records if r["final"].get("mode") == "llm" and not r["final"].get("refused")
    ]
    all_citations = sum(len(r["final"].get("citations", [])) for r in records)
    ttft = [
        r["ttft_s"] for r in records if r["ttft_s"] is not None and not r["final"].get("refused")
    ]
    return {
        "cases": len(records),
        "answered_by_llm": len(llm_answers),
        "fallbacks": dict(
            Counter(r["final"].get("fallback") for r in records if r["final"].get("fallback"))
        ),
        "model_sentences": len(checkable),
        "sentences_with_supporting_citation": round(len(shown) / max(1, len(checkable)), 3),
        "model_markers_supporting_as_written": round(len(own_ok) / max(1, len(written)), 3),
        "model_sentences_with_markers": len(written),
        "shown_citations_supporting_independent_check": round(cites_ok / max(1, cites), 3),
        "shown_citations_checked": cites,
        "citations_equal_to_stored_sentence": round(valid / max(1, all_citations), 3),
        "refusals_of_unanswerable": f"{refused(unanswerable)}/{len(unanswerable)}",
        "false_refusals_of_answerable": f"{refused(answerable)}/{len(answerable)}",
        "latency_p50_s": round(pct([r["total_s"] for r in records], 0.5), 2),
        "latency_p95_s": round(pct([r["total_s"] for r in records], 0.95), 2),
        "ttft_p50_s": round(pct(ttft, 0.5), 2),
        "ttft_p95_s": round(pct(ttft, 0.95), 2),
    }


@contextmanager
def in_process_service() -> Iterator[str]:
    """The service from ``Settings()`` (env), served by uvicorn in a thread."""
    import uvicorn

    from service.app import create_app
    from service.components.child_process import free_loopback_port

    port = free_loopback_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.llm_run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", help="a running service (default: one in-process, from env)")
    parser.add_argument("--cases", type=Path, action="append", help="JSONL (default: dev part)")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for records and figures")
    parser.add_argument("--limit", type=int, default=0, help="only the first N cases")
    parser.add_argument("--ids", default="", help="only these case ids (comma-separated)")
    args = parser.parse_args(argv)
    cases = load_cases(args.cases or [DEV_CASES])
    if args.ids:
        cases = [c for c in cases if c.id in set(args.ids.split(","))]
    cases = cases[: args.limit] if args.limit else cases
    service = in_process_service() if not args.url else _given(args.url)
    with service as url, httpx.Client(base_url=url, timeout=600) as client:
        lookup = {}
        for src in client.get("/sources").json()["sources"]:
            doc = client.get(f"/sources/{src['source']}").json()
            for s in doc["sentences"]:
                lookup[(src["source"], s["sentence"])] = s["text"]
        records = []
        for i, case in enumerate(cases, 1):
            rec = ask_stream(client, case)
            records.append(rec)
            f = rec["final"]
            print(
                f"[{i}/{len(cases)}] {case.id}: {f.get('mode')} refused={f.get('refused')} "
                f"fallback={f.get('fallback')} {rec['total_s']:.1f}s",
                flush=True,
            )
            args.out.write_text(json.dumps({"records": records}, indent=1))
    figures = summarise(records, lookup)
    args.out.write_text(json.dumps({"figures": figures, "records": records}, indent=1))
    print(json.dumps(figures, indent=1))
    return 0


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url.rstrip("/")


if __name__ == "__main__":
    raise SystemExit(main())
