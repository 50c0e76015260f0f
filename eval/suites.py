"""Every suite, side by side: the home set, outside news, SQuAD 2.0, time and HTML extraction.

Each corpus gets a service of its own, built in-process the way ``python -m eval run``
builds one (``create_app`` on a fresh temporary index, the corpus indexed by the project's
ingester, every question asked through ``POST /ask``), and the same retrieval baselines
(:mod:`eval.baselines`) built on the same text:

- ``home``: ``data/articles`` with ``eval/cases.jsonl`` (dev) and ``eval/holdout``;
- ``news``: the 13 pages of ``eval/news/pages.txt`` (HTML from trafilatura's benchmark)
  with ``eval/news/tuning.jsonl`` and ``eval/news/holdout.jsonl``;
- ``squad``: the 8 SQuAD 2.0 articles (:mod:`eval.squad`), tuning and held-out halves;
- ``time``: the news pages and two dated stories written as test data, with questions
  that have a time in them (:mod:`eval.time_suite`: ``eval/time/``), two halves;
- ``html``: extraction F1 on trafilatura's benchmark (:mod:`eval.html_bench`);
- ``corroboration``: story clusters, originals cited first, independent sources counted
  and disagreements marked, over real pages and copies written from them
  (:mod:`eval.corroboration`).

Chunk baselines read the text the project extracted (for an HTML page, its main text), so
that they are compared on retrieval and not on HTML parsing.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.cases import DEFAULT_CASE_FILES, EVAL_DIR, Case, load_cases
from eval.client import InProcess, eval_settings
from eval.corpus import SentenceTable, from_api
from eval.html_bench import BENCH_DIR
from eval.resolve import check_gold

NEWS_DIR = EVAL_DIR / "news"
NEWS_PAGES = BENCH_DIR / "pages"
# Row order of the side-by-side table.
SUITES = [
    ("home dev", "home", "dev"),
    ("home holdout", "home", "holdout"),
    ("news tuning", "news", "news-tuning"),
    ("news holdout", "news", "news-holdout"),
    ("SQuAD tuning", "squad", "squad-tuning"),
    ("SQuAD held-out", "squad", "squad-holdout"),
    ("time tuning", "time", "time-tuning"),
    ("time holdout", "time", "time-holdout"),
]


@dataclass
class SuiteOptions:
    corpora: list[str] = field(
        default_factory=lambda: ["home", "news", "squad", "time", "html", "corroboration"]
    )
    squad_sample: int | None = 300  # questions per SQuAD half; None = all 2,805
    baselines: bool = True
    progress: bool = True


def news_pages() -> dict[str, str]:
    """Page file name -> "tuning" or "holdout" (eval/news/pages.txt)."""
    out = {}
    for line in (NEWS_DIR / "pages.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, half = line.split()
            out[name] = half
    return out


def load_news_cases() -> list[Case]:
    cases = []
    for half in ("tuning", "holdout"):
        for case in load_cases([NEWS_DIR / f"{half}.jsonl"]):
            case.part = f"news-{half}"
            cases.append(case)
    return cases


# What a corpus needs: its files, and its cases once the service has indexed them.
CaseMaker = Callable[[InProcess, SentenceTable], tuple[list[Case], list[str]]]


def _gold_checked(cases: list[Case]) -> CaseMaker:
    def make(_: InProcess, table: SentenceTable) -> tuple[list[Case], list[str]]:
        return cases, check_gold(cases, table)

    return make


def _home() -> tuple[list[Path], CaseMaker]:
    from service.settings import Settings

    corpus = Settings().data.corpus_dir
    cases = load_cases(DEFAULT_CASE_FILES)
    return sorted(p for p in corpus.iterdir() if p.is_file()), _gold_checked(cases)


def _news() -> tuple[list[Path], CaseMaker]:
    files = [NEWS_PAGES / name for name in news_pages()]
    return files, _gold_checked(load_news_cases())


def _time() -> tuple[list[Path], CaseMaker]:
    from eval.time_suite import load_time_cases, time_files

    cases, _ = load_time_cases()
    return time_files([NEWS_PAGES / name for name in news_pages()]), _gold_checked(cases)


def _squad(sample: int | None, folder: Path) -> tuple[list[Path], CaseMaker]:
    from eval.squad import build_cases, load_articles, write_documents
    from ingest.pipeline import Ingester

    articles = load_articles()
    files = write_documents(articles, folder)

    def make(local: InProcess, table: SentenceTable) -> tuple[list[Case], list[str]]:
        # Sentence spans come from the ingester's own preparation (same numbering as the
        # index: checked against the service's table below).
        ingester = Ingester(None, local.embedder, local.settings.ingest)  # type: ignore[arg-type]
        spans = {}
        notes = []
        for art in articles:
            prepared = ingester.prepare(art.source, art.text.encode("utf-8"))
            spans[art.source] = [(s.number, s.start, s.end, s.text) for s in prepared.sentences]
            served = table.get(art.source, {})
            if {n: t for n, _, _, t in spans[art.source]} != served:
                notes.append(f"{art.source}: the service numbers sentences differently")
        cases, lost = build_cases(articles, spans, sample=sample)
        if lost:
            notes.append(f"SQuAD: {lost} has-answer questions with no indexed gold sentence")
        return cases, notes

    return files, make


def _baseline_texts(files: list[Path], folder: Path) -> Path:
    """The text the project extracted from each file, under the file's own name."""
    from ingest.loaders import read_document

    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        text, _ = read_document(path.name, path.read_bytes())
        (folder / path.name).write_text(text, encoding="utf-8")
    return folder


def corpus_of(name: str, squad_sample: int | None, tmp: Path) -> tuple[list[Path], CaseMaker]:
    """A corpus's files and its case maker, by name (home, news, squad, time)."""
    if name == "home":
        return _home()
    if name == "news":
        return _news()
    if name == "squad":
        return _squad(squad_sample, tmp / "squad-docs")
    if name == "time":
        return _time()
    raise ValueError(f"unknown corpus {name!r}: use home, news, squad, time, html, corroboration")


def corpus_settings(name: str, files: list[Path], tmp: Path) -> Any:
    """Settings for a fresh index of ``files`` (copied into a corpus folder under ``tmp``)."""
    corpus = tmp / f"{name}-corpus"
    corpus.mkdir()
    for path in files:
        shutil.copyfile(path, corpus / path.name)
    settings = eval_settings(tmp / f"{name}-data")
    settings.data.corpus_dir = corpus
    return settings


def run_corpus(
    name: str, files: list[Path], make_cases: CaseMaker, opts: SuiteOptions, tmp: Path
) -> dict[str, Any]:
    """Index ``files`` in a fresh in-process service and run the corpus's cases."""
    from eval.baselines import build_baselines
    from eval.runner import run_cases

    settings = corpus_settings(name, files, tmp)
    started = time.perf_counter()
    with InProcess(settings) as local:
        table = from_api(local.client.get_json)
        cases, notes = make_cases(local, table)
        baselines = []
        if opts.baselines:
            texts = _baseline_texts(files, tmp / f"{name}-text")
            baselines = build_baselines(texts, local.embedder, table)
        rows = run_cases(local.client, cases, ["extractive"], baselines, progress=opts.progress)
    if name == "time":  # which question missed which time figure
        from eval.time_suite import time_misses

        notes += [m for m in time_misses(rows, {c.id: c for c in cases})]
    for note in notes:
        print(f"{name}: {note}", file=sys.stderr)
    return {
        "rows": rows,
        "cases": {c.id: c for c in cases},
        "baselines": [b.name for b in baselines],
        "notes": notes,
        "index": local.index_summary,
        "seconds": round(time.perf_counter() - started, 1),
    }


def run_suites(opts: SuiteOptions) -> dict[str, Any]:
    """Run the chosen corpora; returns per-corpus rows and the side-by-side summary."""
    from eval.corroboration import run_corroboration
    from eval.html_bench import run_html_benchmark

    out: dict[str, Any] = {"corpora": {}, "html": None, "corroboration": None}
    with tempfile.TemporaryDirectory(prefix="newsqa-suites-") as tmp_name:
        tmp = Path(tmp_name)
        for name in opts.corpora:
            if name == "html":
                out["html"] = run_html_benchmark()
                continue
            if name == "corroboration":
                out["corroboration"] = run_corroboration(tmp, opts.progress)
                continue
            files, make = corpus_of(name, opts.squad_sample, tmp)
            out["corpora"][name] = run_corpus(name, files, make, opts, tmp)
    return out
