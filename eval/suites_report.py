"""The side-by-side table and plot of :mod:`eval.suites` (``python -m eval suites``).

One row per suite. Retrieval columns are sentence-level hit@k of the service's ranked list
and hit@5 of each baseline on the same questions (answerable ones). Answer columns:

- **answer acc**: answerable questions answered right: for SQuAD, not refused and a cited
  sentence holds a gold answer (SQuAD normalisation); for the case suites, the eval's
  ``correct`` outcome (answered, answer recall >= 0.5);
- **no-answer acc**: unanswerable questions refused;
- **answerability AUC**: how well the reader's answerability (its best probability)
  tells answerable from unanswerable questions (0.5: not at all);
- **false refusals**: answerable questions refused;
- **right**: share of all questions answered right or rightly refused;
- **cit. valid**: citations whose text equals the stored sentence; **cites/ans**: citations
  per answered question; **p50/p95**: ``POST /ask`` wall clock in-process;
- the time suite's own (:mod:`eval.time_suite`): **newest cited** ("latest" questions
  whose citation [1] is the newest version that answers), **in range** (questions with a
  range whose every citation is dated within it), **version cited** (a gold source
  cited), **as-of said** (answers citing dated articles that end "(as of <date>)").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.aggregate import summarise, summarise_baseline
from eval.metrics import mean
from eval.squad import squad_metrics
from eval.suites import SUITES
from eval.time_suite import FIGURES as TIME_FIGURES

BASELINE_COLUMNS = [
    ("bm25-sentences", "BM25 hit@5"),
    ("dense-sentences", "dense hit@5"),
    ("llamaindex-default", "llama-index default hit@5"),
    ("llamaindex-128", "llama-index 128 hit@5"),
]
COLUMNS = [
    "suite",
    "questions",
    "hit@1",
    "hit@5",
    *(label for _, label in BASELINE_COLUMNS),
    "answer acc",
    "no-answer acc",
    "answerability AUC",
    "false refusals",
    "right",
    "cit. valid",
    "cites/ans",
    "p50 ms",
    "p95 ms",
    *TIME_FIGURES,
    "HTML F1",
]
# The corroboration suite's own table (eval.corroboration defines each figure).
CORROBORATION_COLUMNS = [
    "suite",
    "questions",
    "clusters",
    "purity",
    "completeness",
    "answered",
    "original first",
    "copies folded",
    "corroboration",
    "disputed recall",
    "disputed precision",
    "sides cited",
]


def suite_row(rows: Sequence[dict[str, Any]], cases: dict[str, Any], squad: bool) -> dict:
    """The table's figures for the rows of one suite."""
    total = summarise(rows)
    answerable = [r for r in rows if r["answerable"]]
    answered = [r for r in rows if not r.get("refused") and r.get("status") == 200]
    out: dict[str, Any] = {
        "questions": len(rows),
        "hit@1": total.get("hit@1"),
        "hit@5": total.get("hit@5"),
        "no-answer acc": total.get("refusal_recall"),
        "answerability AUC": total.get("answerability_auc"),
        "false refusals": total.get("false_refusal_rate"),
        "cit. valid": total.get("citation_validity"),
        "cites/ans": mean(float(len(r.get("citations") or [])) for r in answered),
        "p50 ms": total.get("latency_p50_ms"),
        "p95 ms": total.get("latency_p95_ms"),
    }
    if squad:
        sq = squad_metrics(rows, cases)
        out["answer acc"] = sq["has_answer_acc"]
        n_has, n_no = sq["n_has_answer"], sq["n_no_answer"]
        right_no = (sq["no_answer_acc"] or 0.0) * n_no
        out["right"] = ((sq["has_answer_acc"] or 0.0) * n_has + right_no) / max(len(rows), 1)
    else:
        out["answer acc"] = mean(1.0 if r["outcome"] == "correct" else 0.0 for r in answerable)
        out["right"] = total.get("accuracy")
    for name, label in BASELINE_COLUMNS:
        if any(name in r.get("baselines", {}) for r in rows):
            out[label] = summarise_baseline(rows, name).get("hit@5")
    return out


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The table's rows, in :data:`eval.suites.SUITES` order, then HTML extraction."""
    table = []
    for label, corpus, part in SUITES:
        run = results["corpora"].get(corpus)
        if not run:
            continue
        rows = [r for r in run["rows"] if r["part"] == part]
        if rows:
            row = {"suite": label, **suite_row(rows, run["cases"], corpus == "squad")}
            if corpus == "time":
                from eval.time_suite import time_figures

                row.update(time_figures(rows, run["cases"]))
            table.append(row)
    html = results.get("html")
    if html:
        ex = html["extractors"]
        table.append(
            {
                "suite": "HTML extraction",
                "questions": html["pages"],
                "html f1": ex["newsqa"]["f1"],
                "HTML F1": f"{ex['newsqa']['f1']:.3f} (P {ex['newsqa']['precision']:.3f}, "
                f"R {ex['newsqa']['recall']:.3f}); trafilatura {ex['trafilatura']['f1']:.3f}, "
                f"bs4 {ex['bs4']['f1']:.3f}",
            }
        )
    stories = results.get("corroboration")
    if stories:
        clusters = f"{stories['clusters']} of {stories['stories']}"
        for half, figures in stories["halves"].items():
            table.append(
                {
                    "suite": f"corroboration {half}",
                    "clusters": clusters,
                    "purity": stories["purity"],
                    "completeness": stories["completeness"],
                    **figures,
                }
            )
    return table


def _cell(value: Any, column: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if column.endswith("ms") else f"{value:.3f}"
    return str(value)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c), c) for c in columns) + " |")
    return "\n".join(lines)


def markdown(table: list[dict[str, Any]]) -> str:
    """The side-by-side table, then the corroboration suite's own when it ran."""
    stories = [r for r in table if "purity" in r]
    text = _table([r for r in table if "purity" not in r], COLUMNS)
    if stories:
        text += "\n\nStories and corroboration (`eval/corroboration`):\n\n"
        text += _table(stories, CORROBORATION_COLUMNS)
    return text


def plot(table: list[dict[str, Any]], path: Path) -> None:
    """Retrieval hit@5 (service vs baselines) and answer figures per suite, one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in table if r.get("hit@5") is not None]
    labels = [r["suite"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 4.8))
    series = [("hit@5", "service (hybrid)")] + [(c, c) for _, c in BASELINE_COLUMNS]
    width = 0.8 / len(series)
    for i, (key, name) in enumerate(series):
        xs = [n + i * width for n in range(len(rows))]
        ax1.bar(xs, [r.get(key) or 0.0 for r in rows], width, label=name.replace(" hit@5", ""))
    ax1.set_xticks([n + 0.4 - width / 2 for n in range(len(rows))], labels, rotation=20)
    ax1.set_ylim(0, 1)
    ax1.set_title("sentence-level evidence hit@5")
    ax1.legend(fontsize=7, loc="lower left")
    answer = ["answer acc", "no-answer acc", "false refusals"]
    width = 0.8 / len(answer)
    for i, key in enumerate(answer):
        xs = [n + i * width for n in range(len(rows))]
        ax2.bar(xs, [r.get(key) or 0.0 for r in rows], width, label=key)
    ax2.set_xticks([n + 0.4 - width / 2 for n in range(len(rows))], labels, rotation=20)
    ax2.set_ylim(0, 1)
    ax2.set_title("answers (extractive)")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def check_floors(table: list[dict[str, Any]], limits: dict[str, Any]) -> list[str]:
    """Figures of the suites in ``table`` outside their limits in ``eval/thresholds.toml``
    (``[suites.min."<suite>"]`` and ``[suites.max."<suite>"]``); suites not run are skipped."""
    failures = []
    rows = {r["suite"]: r for r in table}
    for bound, sign in (("min", 1), ("max", -1)):
        for suite, figures in limits.get(bound, {}).items():
            if suite not in rows:
                continue
            for key, limit in figures.items():
                value = rows[suite].get(key)
                if not isinstance(value, int | float) or sign * (value - limit) < 0:
                    failures.append(f"{suite}: {key} = {value} ({bound} {limit})")
    return failures


def load_suite_limits(path: Path) -> dict[str, Any]:
    import tomllib

    with open(path, "rb") as fh:
        return dict(tomllib.load(fh).get("suites", {}))
