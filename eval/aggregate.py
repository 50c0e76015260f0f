"""Turn per-case rows into the totals the report shows (by mode, part and tag).

A metric's total is the mean over the cases where it is defined (retrieval and answer
metrics: answerable cases; citation metrics: answered cases; abstention: all cases). ``n``
next to a total says how many cases it averages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eval.metrics import KS, SCORE, abstention_metrics, mean, percentile

RETRIEVAL_KEYS = [f"{m}@{k}" for m in ("hit", "recall") for k in KS] + ["mrr"]
CITATION_KEYS = [
    "citation_validity",
    "citation_precision",
    "citation_recall",
    "citation_f1",
    "source_recall",
    "cited_sentence_share",
    "key_term_support",
    "token_support",
]
ANSWER_KEYS = ["answer_recall", "token_f1"]

# The headline metrics, in the order the summary table lists them.
SUMMARY_KEYS = [
    "cases",
    "errors",
    "score",
    "accuracy",
    *("hit@1", "hit@3", "hit@5", "hit@10"),
    *("recall@5", "recall@10", "mrr"),
    *CITATION_KEYS,
    "dangling_markers",
    *ANSWER_KEYS,
    *("refusal_precision", "refusal_recall", "refusal_f1", "false_refusal_rate"),
    *("latency_p50_ms", "latency_p95_ms", "server_p50_ms", "server_p95_ms"),
    *("answer_words_mean", "answer_words_p95"),
]


def _metric(row: dict[str, Any], key: str) -> float | None:
    value = row.get("metrics", {}).get(key)
    return float(value) if isinstance(value, int | float) else None


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Totals of one group of service rows (one mode; any subset of cases)."""
    out: dict[str, Any] = {"cases": len(rows)}
    out["errors"] = sum(1 for r in rows if r.get("error"))
    if not rows:
        return out
    out["score"] = mean(SCORE[r["outcome"]] for r in rows)
    out["accuracy"] = mean(1.0 if r["outcome"] == "correct" else 0.0 for r in rows)
    for key in [*RETRIEVAL_KEYS, *CITATION_KEYS, *ANSWER_KEYS, "dangling_markers"]:
        values = [v for r in rows if (v := _metric(r, key)) is not None]
        out[key] = mean(values)
        out[f"n_{key}"] = len(values)
    out.update(abstention_metrics([(r["answerable"], bool(r.get("refused"))) for r in rows]))
    out["answerability_auc"] = answerability_auc(rows)
    latencies = [r["latency_ms"] for r in rows if r.get("latency_ms") is not None]
    server = [r["server_ms"] for r in rows if r.get("server_ms") is not None]
    out["latency_p50_ms"] = percentile(latencies, 50)
    out["latency_p95_ms"] = percentile(latencies, 95)
    out["server_p50_ms"] = percentile(server, 50)
    out["server_p95_ms"] = percentile(server, 95)
    words = [float(r["answer_words"]) for r in rows if r.get("answer_words") is not None]
    out["answer_words_mean"] = mean(words)
    out["answer_words_p95"] = percentile(words, 95)
    return out


def answerability_auc(rows: Sequence[dict[str, Any]]) -> float | None:
    """ROC AUC of the service's answerability (the reader's best probability) for
    answerable vs unanswerable questions; None without both kinds or without the score."""
    from sklearn.metrics import roc_auc_score

    scored = [
        (r["answerable"], r["answerability"]) for r in rows if r.get("answerability") is not None
    ]
    labels = [a for a, _ in scored]
    if not scored or all(labels) or not any(labels):
        return None
    return float(roc_auc_score(labels, [p for _, p in scored]))


def summarise_baseline(rows: Sequence[dict[str, Any]], name: str) -> dict[str, Any]:
    """Retrieval totals of one baseline over the rows that ran it."""
    cells = [r["baselines"][name] for r in rows if name in r.get("baselines", {})]
    out: dict[str, Any] = {"cases": len(cells)}
    for key in RETRIEVAL_KEYS:
        out[key] = mean(c["metrics"].get(key) for c in cells)
    lat = [c["latency_ms"] for c in cells]
    out["latency_p50_ms"] = percentile(lat, 50)
    out["latency_p95_ms"] = percentile(lat, 95)
    return out


def groups(rows: Iterable[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        values = r[key] if isinstance(r[key], list) else [r[key]]
        for v in values:
            out.setdefault(v, []).append(r)
    return out


def totals(rows: Sequence[dict[str, Any]], baseline_names: Sequence[str]) -> dict[str, Any]:
    """Everything the report needs: per mode x part, per mode x tag, per baseline x part."""
    out: dict[str, Any] = {"service": {}, "by_tag": {}, "baselines": {}}
    for mode, mode_rows in sorted(groups(rows, "mode").items()):
        parts = groups(mode_rows, "part")
        out["service"][mode] = {p: summarise(rs) for p, rs in sorted(parts.items())}
        out["service"][mode]["all"] = summarise(mode_rows)
        out["by_tag"][mode] = {
            t: summarise(rs) for t, rs in sorted(groups(mode_rows, "tags").items())
        }
    first_mode = sorted({r["mode"] for r in rows})[:1]
    base_rows = [r for r in rows if r["mode"] in first_mode]
    for name in baseline_names:
        parts = groups(base_rows, "part")
        out["baselines"][name] = {
            p: summarise_baseline(rs, name) for p, rs in sorted(parts.items())
        }
        out["baselines"][name]["all"] = summarise_baseline(base_rows, name)
    return out
