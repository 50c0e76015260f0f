"""``python -m eval run|suites|report|resolve|...``: the command line of the eval.

Reports go to ``eval/reports/<YYYY-MM-DD>/`` (``eval/report_files.py``); only ``report``
(``make eval-report``) rewrites the committed summary beside them."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from eval import report_files
from eval.cases import DEFAULT_CASE_FILES, EVAL_DIR, load_cases
from eval.client import InProcess, OverHTTP, ServiceClient, eval_settings
from eval.resolve import check_gold

NO_LLM = "skipped: no LLM configured (set NEWSQA_LLM__BASE_URL or OPENAI_API_KEY)"


@dataclass
class EvalOptions:
    modes: list[str] = field(default_factory=lambda: ["extractive"])
    url: str | None = None
    case_files: Sequence[Path] = DEFAULT_CASE_FILES
    baselines: bool = True
    judge: str = "auto"  # auto | on | off
    data_dir: Path | None = None  # in-process index folder (default: a fresh temporary one)
    progress: bool = True


@contextmanager
def open_service(opts: EvalOptions) -> Iterator[tuple[ServiceClient, Any, Any]]:
    """The service to evaluate, the settings the eval reads (LLM, embeddings, corpus), and
    an embedder for the baselines (the app's own when in-process, else a new one)."""
    if opts.url:
        settings = eval_settings(None)
        with OverHTTP(opts.url) as remote:
            yield remote.client, settings, None
        return
    with tempfile.TemporaryDirectory(prefix="newsqa-eval-") as tmp:
        settings = eval_settings(opts.data_dir or Path(tmp))
        with InProcess(settings) as local:
            yield local.client, settings, local.embedder


def _shown(path: Path) -> str:
    """A case file's path relative to the project when it lies inside it."""
    try:
        return str(Path(path).resolve().relative_to(EVAL_DIR.parent))
    except ValueError:
        return str(path)


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=EVAL_DIR,
            timeout=5,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            cwd=EVAL_DIR,
            timeout=5,
            check=False,
        )
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return ""


def evaluate(opts: EvalOptions) -> dict[str, Any]:
    """Run the eval and return the results (what ``results.json`` holds)."""
    from eval.aggregate import totals
    from eval.corpus import from_api
    from eval.runner import run_cases

    cases = load_cases(opts.case_files)
    started = datetime.now().astimezone()
    t0 = time.perf_counter()
    notes: list[str] = []
    with open_service(opts) as (client, settings, embedder):
        table = from_api(client.get_json)
        notes += check_gold(cases, table)
        modes = list(dict.fromkeys(opts.modes))
        if "llm" in modes and not opts.url and not settings.llm.configured:
            notes.append(f"llm mode {NO_LLM}")
            modes.remove("llm")
        elif "llm" in modes and opts.url:
            probe = client.ask({"question": "What did Ushakov say?", "mode": "llm"})
            if 400 <= probe.status < 500:
                detail = probe.body.get("detail") or probe.body.get("error")
                notes.append(
                    f"llm mode skipped: the service refuses it (HTTP {probe.status}: {detail})"
                )
                modes.remove("llm")
        ready = client.http.get("/ready")
        service_state = f"{ready.status_code} {ready.text[:200]}"
        baselines = []
        if opts.baselines:
            from eval.baselines import build_baselines
            from service.components.embeddings import make_embedder

            embedder = embedder or make_embedder(settings.embedding, settings.llm)
            baselines = build_baselines(settings.data.corpus_dir, embedder, table)
        rows = run_cases(client, cases, modes, baselines, progress=opts.progress)
        where = client.where
    for note in notes:
        print(note, file=sys.stderr)
    if not modes:
        raise SystemExit("no answer mode left to evaluate: " + "; ".join(notes))

    gold = {
        c.id: {
            "answers": c.answers,
            "texts": [table.get(g.source, {}).get(g.sentence, "") for s in c.evidence for g in s],
            "gold": [[f"{g.source}:{g.sentence}" for g in s] for s in c.evidence],
        }
        for c in cases
    }
    judge: dict[str, Any]
    if opts.judge == "off":
        judge = {"skipped": "switched off (--judge off)"}
    elif not settings.llm.configured:
        judge = {"skipped": NO_LLM.removeprefix("skipped: ")}
        print(f"LLM-judged metrics {NO_LLM}", file=sys.stderr)
    else:
        from eval.judge import judge_rows, openai_complete

        judge = judge_rows(openai_complete(settings.llm), rows, gold, progress=opts.progress)

    return {
        "run": {
            "started": started.isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - t0, 1),
            "service": where,
            "service_ready": service_state,
            "modes": ", ".join(modes),
            "cases": f"{len(cases)} ({', '.join(_shown(p) for p in opts.case_files)})",
            "commit": git_commit(),
            "embedding": settings.embedding.mode,
            "llm": settings.llm.model if settings.llm.configured else "not configured",
            "notes": "; ".join(notes),
            "settings": settings.model_dump(mode="json"),
        },
        "totals": totals(rows, [b.name for b in baselines]),
        "judge": judge,
        "case_index": [{"id": k, **v} for k, v in gold.items()],
        "cases": rows,
    }


def _run(args: argparse.Namespace) -> int:
    from eval.report import summary_table, to_markdown, write_reports

    opts = EvalOptions(
        modes=[m for spec in args.mode for m in spec.split(",") if m] or ["extractive"],
        url=args.url,
        case_files=[Path(p) for p in args.cases] if args.cases else DEFAULT_CASE_FILES,
        baselines=not args.no_baselines,
        judge=args.judge,
        data_dir=Path(args.data_dir) if args.data_dir else None,
        progress=not args.quiet,
    )
    bad = set(opts.modes) - {"extractive", "llm"}
    if bad:
        print(f"unknown mode(s) {sorted(bad)}: use extractive and/or llm", file=sys.stderr)
        return 2
    results = evaluate(opts)
    out_dir = _out_dir(args)
    write_reports(out_dir, results, summary_md=not args.cases)
    print(to_markdown(summary_table(results["totals"])))
    print(f"\nreport: {out_dir / 'report.md'}  ({out_dir / 'report.html'})")
    return 0


def _resolve(args: argparse.Namespace) -> int:
    from eval.corpus import from_api, from_ingest
    from eval.resolve import resolve_files

    paths = [Path(p) for p in args.cases] if args.cases else list(DEFAULT_CASE_FILES)
    if args.url or args.source == "app":
        opts = EvalOptions(url=args.url, data_dir=Path(args.data_dir) if args.data_dir else None)
        with open_service(opts) as (client, _, _):
            table = from_api(client.get_json)
    else:
        table = from_ingest(exact=not args.fast)
    moves, problems = resolve_files(paths, table, write=not args.check)
    for m in moves:
        print(("would move: " if args.check else "moved: ") + str(m))
    for p in problems:
        print(f"PROBLEM: {p}", file=sys.stderr)
    n = sum(len(load_cases([p])) for p in paths)
    print(f"{n} cases, {len(moves)} gold sentences moved, {len(problems)} problems")
    if problems:
        return 1
    return 1 if args.check and moves else 0


def _html(args: argparse.Namespace) -> int:
    from eval.html_bench import html_table, run_html_benchmark

    results = run_html_benchmark(Path(args.bench_dir), exact=args.exact)
    print(html_table(results))
    if args.misses:
        for line in results["extractors"]["newsqa"]["misses"]:
            print(line)
    return 0


def _out_dir(args: argparse.Namespace) -> Path:
    """``--out``, else the dated folder of ``--date`` (default: today)."""
    if args.out:
        return Path(args.out)
    day = date.fromisoformat(args.date) if args.date else date.today()
    return report_files.dated_dir(day, report_files.REPORTS_DIR)


def _suites(args: argparse.Namespace) -> int:
    from eval.report_files import suites_markdown, write_suites_report
    from eval.suites import SuiteOptions, run_suites
    from eval.suites_report import check_floors, load_suite_limits, markdown, summary

    corpora = [c for spec in args.corpus for c in spec.split(",") if c]
    opts = SuiteOptions(
        squad_sample=None if args.squad_full else args.squad_sample,
        baselines=not args.no_baselines,
        progress=not args.quiet,
    )
    if corpora:
        opts.corpora = corpora
    started = datetime.now().astimezone()
    results = run_suites(opts)
    table = summary(results)
    squad = "all questions" if opts.squad_sample is None else f"{opts.squad_sample} per half"
    head = {
        "started": started.isoformat(timespec="seconds"),
        "commit": git_commit(),
        "SQuAD": f"{squad} (seed 1)",
        "corpora": ", ".join(opts.corpora),
    }
    notes = [n for run in results["corpora"].values() for n in run["notes"]]
    text = suites_markdown(head, notes, markdown(table))
    dump = {
        "complete": not corpora,  # every suite ran: `make eval-report` may publish it
        "table": table,
        "html": results["html"],
        "corroboration": results.get("corroboration"),
        "corpora": {
            k: {**{x: v[x] for x in ("baselines", "notes", "index", "seconds")}, "rows": v["rows"]}
            for k, v in results["corpora"].items()
        },
    }
    report = write_suites_report(_out_dir(args), text, table, dump)
    print(markdown(table))
    print(f"\nreport: {report}  (publish it as eval/reports/suites.md: make eval-report)")
    failures = check_floors(table, load_suite_limits(EVAL_DIR / "thresholds.toml"))
    for failure in failures:
        print(f"BELOW FLOOR: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _report(args: argparse.Namespace) -> int:
    from eval.report_files import NothingToPublish, newest_dated_dir, publish

    reports = report_files.REPORTS_DIR
    src = Path(args.src) if args.src else newest_dated_dir(reports)
    if src is None:
        print("no dated report in eval/reports/: run `make eval` first", file=sys.stderr)
        return 1
    try:
        written = publish(src, reports)
    except NothingToPublish as err:
        print(err, file=sys.stderr)
        return 1
    for path in written:
        print(f"published {_shown(path)} from {_shown(src)}")
    return 0


def _answer_types(args: argparse.Namespace) -> int:
    from eval.answer_types import run

    corpora = [c for spec in args.corpus for c in spec.split(",") if c] or ["squad", "news"]
    bad = set(corpora) - {"squad", "news"}
    if bad:
        print(f"unknown corpus {sorted(bad)}: use squad and/or news", file=sys.stderr)
        return 2
    print(run(corpora, timing=not args.no_timing))
    return 0


def _retrieval(args: argparse.Namespace) -> int:
    from eval.retrieval import run
    from eval.retrieval_sweep import sweep

    corpora = [c for spec in args.corpus for c in spec.split(",") if c] or ["home", "news", "squad"]
    runs = run(corpora, None if args.squad_full else args.squad_sample, not args.quiet)
    if args.sweep:
        print(sweep(runs))
    return 0


def _fit_scorer(args: argparse.Namespace) -> int:
    from eval.fit_scorer import run

    return run(Path(args.out), recompute=args.recompute)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train-reader"]:  # its flags are its TrainConfig's fields
        from eval.train_reader import main as train_reader

        return train_reader(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the eval and write a report")
    run.add_argument(
        "--mode",
        action="append",
        default=[],
        help="extractive (default) and/or llm; repeat or comma-separate",
    )
    run.add_argument("--url", help="evaluate a running service (default: in-process)")
    run.add_argument(
        "--cases", action="append", help="JSONL case file (repeatable; default: dev + holdout)"
    )
    run.add_argument("--out", help="report folder (default: eval/reports/<date>/)")
    run.add_argument("--date", help="YYYY-MM-DD naming the report folder (default: today)")
    run.add_argument("--no-baselines", action="store_true", help="skip the baselines")
    run.add_argument(
        "--judge",
        choices=["auto", "on", "off"],
        default="auto",
        help="LLM-judged metrics: auto = when an LLM is configured",
    )
    run.add_argument("--data-dir", help="in-process index folder (default: a fresh temp dir)")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.set_defaults(func=_run)

    res = sub.add_parser("resolve", help="re-derive gold sentence numbers from their quotes")
    res.add_argument(
        "--source",
        choices=["ingest", "app"],
        default="ingest",
        help="numbering from the ingester (default) or the in-process service",
    )
    res.add_argument("--url", help="numbering from a running service")
    res.add_argument(
        "--fast", action="store_true", help="skip the embedding-based teaser drop (no model load)"
    )
    res.add_argument("--data-dir", help="in-process index folder (with --source app)")
    res.add_argument("--cases", action="append", help="JSONL case file (repeatable)")
    res.add_argument(
        "--check",
        action="store_true",
        help="do not rewrite; exit 1 when a number moved or a quote is lost",
    )
    res.set_defaults(func=_resolve)

    from eval.html_bench import BENCH_DIR

    html = sub.add_parser("html", help="score HTML main-text extraction (trafilatura's bench)")
    html.add_argument("--bench-dir", default=str(BENCH_DIR), help="evaldata.json + pages/")
    html.add_argument(
        "--exact", action="store_true", help="also run the embedding-based teaser drop"
    )
    html.add_argument("--misses", action="store_true", help="list the project's misses")
    html.set_defaults(func=_html)

    suites = sub.add_parser("suites", help="all suites side by side (what `make eval` runs)")
    suites.add_argument(
        "--corpus",
        action="append",
        default=[],
        help="home, news, squad, time, html, corroboration (default: all)",
    )
    suites.add_argument(
        "--squad-sample", type=int, default=300, help="SQuAD questions per half (seed 1)"
    )
    suites.add_argument("--squad-full", action="store_true", help="all 2,805 SQuAD questions")
    suites.add_argument("--no-baselines", action="store_true", help="skip the baselines")
    suites.add_argument("--out", help="report folder (default: eval/reports/<date>/)")
    suites.add_argument("--date", help="YYYY-MM-DD naming the report folder (default: today)")
    suites.add_argument("--quiet", action="store_true", help="no progress bars")
    suites.set_defaults(func=_suites)

    pub = sub.add_parser(
        "report",
        help="publish a dated report as the committed summary (eval/reports/suites.md, "
        "suites.png, latest.md)",
    )
    pub.add_argument(
        "src", nargs="?", help="report folder (default: the newest eval/reports/<date>/)"
    )
    pub.set_defaults(func=_report)

    types = sub.add_parser(
        "answer-types", help="NER vs regex answer-type check on the tuning halves"
    )
    types.add_argument("--corpus", action="append", default=[], help="squad, news (default: both)")
    types.add_argument("--no-timing", action="store_true", help="skip the tagger timing")
    types.set_defaults(func=_answer_types)

    ret = sub.add_parser(
        "retrieval", help="retrieval alone per suite half: hybrid, each half, the baselines"
    )
    ret.add_argument(
        "--corpus", action="append", default=[], help="home, news, squad (default: all three)"
    )
    ret.add_argument(
        "--squad-sample", type=int, default=300, help="SQuAD questions per half (seed 1)"
    )
    ret.add_argument("--squad-full", action="store_true", help="all 2,805 SQuAD questions")
    ret.add_argument(
        "--sweep", action="store_true", help="also score fusion settings on the tuning halves"
    )
    ret.add_argument("--quiet", action="store_true", help="no progress lines")
    ret.set_defaults(func=_retrieval)

    from service.answering.scorer import WEIGHTS_FILE

    fit = sub.add_parser("fit-scorer", help="fit the sentence scorer on the tuning splits")
    fit.add_argument("--recompute", action="store_true", help="rebuild the cached feature rows")
    fit.add_argument("--out", default=str(WEIGHTS_FILE), help="weights file to write")
    fit.set_defaults(func=_fit_scorer)
    sub.add_parser(
        "train-reader", help="train the sentence reader on SQuAD part C (eval/train_reader.py)"
    )

    args = parser.parse_args(argv)
    return int(args.func(args))
