"""Write a run's ``results.json``, ``report.md`` and ``report.html`` (plots as base64 PNGs).

Tables are built once as rows of cells and rendered both as Markdown and as HTML, so the
two reports never disagree.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.aggregate import SUMMARY_KEYS
from eval.metrics import KS

Table = tuple[list[str], list[list[str]]]  # header, rows

TAG_COLUMNS = [
    ("n", "cases"),
    ("score", "score"),
    ("accuracy", "accuracy"),
    ("hit@5", "hit@5"),
    ("MRR", "mrr"),
    ("cit. precision", "citation_precision"),
    ("cit. recall", "citation_recall"),
    ("source recall", "source_recall"),
    ("answer recall", "answer_recall"),
    ("refusal recall", "refusal_recall"),
    ("false refusals", "false_refusal_rate"),
]


def fmt(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if key.endswith("_ms") or key.startswith("answer_words"):
            return f"{value:.1f}"
        return f"{value:.3f}"
    return str(value)


def summary_table(totals: dict[str, Any]) -> Table:
    columns = [(m, p) for m, parts in totals["service"].items() for p in parts]
    header = ["metric", *(f"{m} · {p}" for m, p in columns)]
    rows = [
        [key, *(fmt(totals["service"][m][p].get(key), key) for m, p in columns)]
        for key in SUMMARY_KEYS
    ]
    return header, rows


def retrieval_table(totals: dict[str, Any]) -> Table:
    ks = [f"hit@{k}" for k in KS] + [f"recall@{k}" for k in KS] + ["mrr"]
    header = ["system", "part", "n", *ks, "p50 ms"]
    rows: list[list[str]] = []
    for mode, parts in totals["service"].items():
        for part, s in parts.items():
            rows.append(
                [
                    f"service ({mode})",
                    part,
                    fmt(s.get("n_mrr", 0)),
                    *(fmt(s.get(k)) for k in ks),
                    fmt(s.get("server_p50_ms"), "_ms"),
                ]
            )
    for name, parts in totals["baselines"].items():
        for part, s in parts.items():
            rows.append(
                [
                    name,
                    part,
                    fmt(s["cases"]),
                    *(fmt(s.get(k)) for k in ks),
                    fmt(s.get("latency_p50_ms"), "_ms"),
                ]
            )
    return header, rows


def tag_table(by_tag: dict[str, Any]) -> Table:
    header = ["tag", *(label for label, _ in TAG_COLUMNS)]
    rows = [[tag, *(fmt(s.get(key), key) for _, key in TAG_COLUMNS)] for tag, s in by_tag.items()]
    return header, rows


def to_markdown(table: Table) -> str:
    header, rows = table
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def to_html(table: Table) -> str:
    header, rows = table
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def failed_cases(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows that were not correct, or whose citations are broken."""
    return [
        r
        for r in rows
        if r.get("outcome") != "correct"
        or r.get("invalid_citations")
        or (r.get("metrics", {}).get("dangling_markers") or 0) > 0
    ]


def why(row: dict[str, Any]) -> str:
    if row.get("error"):
        return str(row["error"])
    reasons = []
    if row["outcome"] == "refused":
        reasons.append("refused an answerable question")
    elif row["outcome"] == "wrong" and not row["answerable"]:
        reasons.append("answered a question it should refuse")
    elif row["outcome"] == "wrong":
        reasons.append(
            f"gold answer missing (answer recall {fmt(row['metrics'].get('answer_recall'))})"
        )
    if row.get("invalid_citations"):
        reasons.append(f"invalid citations {row['invalid_citations']}")
    if (row.get("metrics", {}).get("dangling_markers") or 0) > 0:
        reasons.append("markers naming no citation")
    return "; ".join(reasons)


def failed_markdown(rows: Sequence[dict[str, Any]], gold: dict[str, list[list[str]]]) -> str:
    out: list[str] = []
    for r in failed_cases(rows):
        out.append(f"#### `{r['id']}` ({r['mode']}, {r['part']}; {', '.join(r['tags'])})")
        out.append(f"- **why**: {why(r)}")
        for turn in r.get("history", []):
            out.append(f"- *{turn['role']}*: {turn['content']}")
        out.append(f"- **question**: {r['question']}")
        if r.get("standalone_question") and r["standalone_question"] != r["question"]:
            out.append(f"- **standalone**: {r['standalone_question']}")
        out.append(f"- **answer** (refused={r.get('refused')}): {r.get('answer', '')}")
        for c in r.get("citations", []):
            out.append(
                f"  - [{c.get('id')}] `{c.get('source')}:{c.get('sentence')}` {c.get('text', '')}"
            )
        if gold.get(r["id"]):
            out.append(
                "- **gold evidence**: "
                + " or ".join("{" + ", ".join(s) + "}" for s in gold[r["id"]])
            )
        out.append("")
    return "\n".join(out) if out else "None."


# --- plots ------------------------------------------------------------------------------


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def plots(totals: dict[str, Any], rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Metrics by tag, latency distribution, hit@k of service vs baselines (base64 PNGs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    for mode, by_tag in totals["by_tag"].items():
        tags = list(by_tag)
        keys = ["accuracy", "hit@5", "citation_recall", "answer_recall"]
        fig, ax = plt.subplots(figsize=(10, 4))
        width = 0.8 / len(keys)
        for i, key in enumerate(keys):
            values = [by_tag[t].get(key) or 0.0 for t in tags]
            ax.bar([x + i * width for x in range(len(tags))], values, width, label=key)
        ax.set_xticks(
            [x + 0.4 - width / 2 for x in range(len(tags))], tags, rotation=30, ha="right"
        )
        ax.set_ylim(0, 1.05)
        ax.set_title(f"Metrics by tag ({mode})")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        out[f"tags_{mode}"] = _png(fig)
        plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3.5))
    for mode in totals["service"]:
        lat = [r["latency_ms"] for r in rows if r["mode"] == mode and r.get("latency_ms")]
        if lat:
            ax.hist(lat, bins=30, alpha=0.6, label=mode)
    ax.set_xlabel("/ask latency (ms, client side)")
    ax.set_ylabel("cases")
    ax.set_title("Latency distribution")
    ax.legend()
    out["latency"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3.5))
    for mode, parts in totals["service"].items():
        ax.plot(
            KS,
            [parts["all"].get(f"hit@{k}") or 0 for k in KS],
            marker="o",
            label=f"service ({mode})",
        )
    for name, parts in totals["baselines"].items():
        ax.plot(
            KS, [parts["all"].get(f"hit@{k}") or 0 for k in KS], marker="x", ls="--", label=name
        )
    ax.set_xlabel("k (sentences for the service, chunks for baselines)")
    ax.set_ylabel("hit@k")
    ax.set_ylim(0, 1.05)
    ax.set_title("Retrieval: service vs baselines")
    ax.legend(fontsize=8)
    out["retrieval"] = _png(fig)
    plt.close(fig)
    return out


# --- documents --------------------------------------------------------------------------


def write_reports(out_dir: Path, results: dict[str, Any], summary_md: bool) -> None:
    """report.md, report.html and results.json into ``out_dir``; with ``summary_md``, also
    summary.md, the short summary ``make eval-report`` publishes as eval/reports/latest.md
    (eval/report_files.py). Nothing outside ``out_dir`` is written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    totals, rows, meta = results["totals"], results["cases"], results["run"]
    gold = {c["id"]: c["gold"] for c in results["case_index"]}
    summary, retrieval = summary_table(totals), retrieval_table(totals)
    judge = results.get("judge", {})

    md = [f"# Eval report {meta['started']}", "", _meta_lines(meta), ""]
    md += ["## Summary", "", to_markdown(summary), ""]
    md += ["## Retrieval: service vs baselines (answerable cases)", "", to_markdown(retrieval), ""]
    for mode, by_tag in totals["by_tag"].items():
        md += [f"## By tag ({mode})", "", to_markdown(tag_table(by_tag)), ""]
    md += ["## LLM-judged metrics", "", _judge_text(judge), ""]
    md += ["## Failed cases", "", failed_markdown(rows, gold), ""]
    (out_dir / "report.md").write_text("\n".join(md), encoding="utf-8")

    images = plots(totals, rows)
    h = [
        "<!doctype html><html><head><meta charset='utf-8'><title>newsqa eval</title><style>",
        "body{font-family:sans-serif;max-width:1200px;margin:auto}table{border-collapse:collapse;"
        "font-size:13px;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}pre{white-space:pre-wrap}",
        "</style></head><body>",
        f"<h1>Eval report {html.escape(meta['started'])}</h1>",
        f"<pre>{html.escape(_meta_lines(meta))}</pre>",
        "<h2>Summary</h2>",
        to_html(summary),
        "<h2>Retrieval: service vs baselines</h2>",
        to_html(retrieval),
        f"<img src='data:image/png;base64,{images['retrieval']}'>",
    ]
    for mode, by_tag in totals["by_tag"].items():
        h += [
            f"<h2>By tag ({html.escape(mode)})</h2>",
            to_html(tag_table(by_tag)),
            f"<img src='data:image/png;base64,{images[f'tags_{mode}']}'>",
        ]
    h += ["<h2>Latency</h2>", f"<img src='data:image/png;base64,{images['latency']}'>"]
    h += ["<h2>LLM-judged metrics</h2>", f"<pre>{html.escape(_judge_text(judge))}</pre>"]
    h += ["<h2>Failed cases</h2>", f"<pre>{html.escape(failed_markdown(rows, gold))}</pre>"]
    h += ["</body></html>"]
    (out_dir / "report.html").write_text("\n".join(h), encoding="utf-8")

    if summary_md:
        (out_dir / "summary.md").write_text(
            "\n".join(
                [
                    "# Latest eval summary",
                    "",
                    "Written by `make eval-home` (`python -m eval run`) and published by "
                    "`make eval-report`; metrics are defined in [eval/README.md](../README.md). "
                    "Full report: `eval/reports/<date>/` of the run.",
                    "",
                    _meta_lines(meta),
                    "",
                    to_markdown(summary),
                    "",
                    "## Retrieval: service vs baselines (answerable cases)",
                    "",
                    to_markdown(retrieval),
                    "",
                ]
            ),
            encoding="utf-8",
        )


def _meta_lines(meta: dict[str, Any]) -> str:
    return "\n".join(
        f"- {k}: {v}" for k, v in meta.items() if k not in {"settings"} and v not in (None, "")
    )


def _judge_text(judge: dict[str, Any]) -> str:
    if not judge:
        return "not run"
    if judge.get("skipped"):
        return f"skipped: {judge['skipped']}"
    return "\n".join(f"- {k}: {fmt(v)}" for k, v in judge.items() if not isinstance(v, list | dict))
