"""``python -m eval retrieval``: retrieval alone, per suite half, without the answerer.

Each corpus is indexed once, as ``python -m eval suites`` indexes it (fresh in-process
service, the project's ingester); then every answerable question goes straight to the
service's :class:`~service.retrieval.hybrid.HybridRetriever` (follow-ups condensed the way
``/ask`` condenses them), not through ``/ask``. Reported per suite half, hit@1/3/5/10 at
sentence level of:

- ``hybrid``: the service's fused list, as ``/ask`` ranks it;
- ``lexical`` / ``dense``: each half of the hybrid alone (the service's BM25 list; the
  service's Chroma list);
- ``bm25-sentences`` / ``dense-sentences``: the baselines of ``make eval``
  (:mod:`eval.baselines`), which the hybrid must beat.

``--sweep`` also scores fusion settings offline on the **tuning halves only** (SQuAD
tuning, news tuning): from each question's full BM25 and cosine score arrays it ranks
every (fusion method, k, weights, depth) of a small grid, prints the best on the tuning
halves, and shows the other halves for the chosen one (reported, never chosen on).
A SQuAD run takes about a minute on 2 cores; home and news a few seconds each.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eval.baselines import (
    Baseline,
    BM25Baseline,
    Chunk,
    DenseBaseline,
    baseline_query,
    collapse,
    gold_keys_in,
)
from eval.cases import Case
from eval.metrics import KS, Key, retrieval_metrics

TUNING = ("news-tuning", "squad-tuning")
PART_ORDER = ["dev", "holdout", "news-tuning", "news-holdout", "squad-tuning", "squad-holdout"]
METHODS = ("reader", "hybrid", "lexical", "dense", "bm25-sentences", "dense-sentences")
POOL_K = 30  # the reader reads the candidate pool: its recall at this depth bounds the answer


@dataclass
class QuestionRun:
    """One answerable question: what each method ranked, and the raw scores for sweeps."""

    case: Case
    ranked: dict[str, list[set[Key]]] = field(default_factory=dict)
    lexical_scores: np.ndarray | None = None  # BM25 score of every sentence position
    dense_scores: np.ndarray | None = None  # cosine similarity of every sentence position


@dataclass
class CorpusRun:
    name: str
    keys: list[Key]  # sentence position -> (source, number)
    sources: list[str]  # sentence position -> source (neighbours stay within one)
    texts: list[str]  # sentence position -> text as stored
    questions: list[QuestionRun]
    index_seconds: float
    query_ms: dict[str, float]  # p50 per service method


def collect(name: str, tmp: Path, squad_sample: int | None, progress: bool) -> CorpusRun:
    """Index one corpus and rank every answerable question with every method."""
    from eval.client import InProcess
    from eval.corpus import from_api
    from eval.suites import corpus_of, corpus_settings
    from service.answering.base import Turn
    from service.answering.followup import condense

    files, make_cases = corpus_of(name, squad_sample, tmp)
    settings = corpus_settings(name, files, tmp)
    started = time.perf_counter()
    with InProcess(settings) as local:
        index_seconds = time.perf_counter() - started
        table = from_api(local.client.get_json)
        cases, notes = make_cases(local, table)
        for note in notes:
            print(f"{name}: {note}", file=sys.stderr)
        container = local.app.state.container
        snap = container.state().snapshot()
        retriever = container.retriever()
        keys = [(s.source, s.number) for s in snap.sentences]
        chunks = [Chunk(s.source, collapse(s.text)) for s in snap.sentences]
        baselines: list[Baseline] = [
            BM25Baseline("bm25-sentences", chunks, top_k=max(KS)),
            DenseBaseline("dense-sentences", chunks, local.embedder, top_k=max(KS)),
        ]
        timings: dict[str, list[float]] = {"hybrid": []}
        runs = []
        answerable = [c for c in cases if c.answerable]
        for n, case in enumerate(answerable):
            if progress and n % 100 == 0:
                print(f"{name}: {n}/{len(answerable)}", file=sys.stderr)
            history = tuple(Turn(t.role, t.content) for t in case.history)
            query = condense(case.question, history, snap)
            run = QuestionRun(case)
            t0 = time.perf_counter()
            got = retriever.retrieve(query, max(KS))
            timings["hybrid"].append((time.perf_counter() - t0) * 1000)
            # reader: the evidence (the reader's order of the pool); hybrid: the fused order
            run.ranked["reader"] = [{(e.ref.source, e.ref.sentence)} for e in got.evidence]
            fused = sorted(got.fused, key=lambda p: (-got.fused[p], p))
            run.ranked["hybrid"] = [{keys[p]} for p in fused]
            run.ranked["pool"] = [{keys[p]} for p in got.pool]
            lexical = snap.lexical.scores(query)
            dense = snap.similarities(got.query_vector)
            run.lexical_scores, run.dense_scores = lexical, dense
            cands = retriever.candidates(query, got.query_vector, snap, max(KS))
            run.ranked["lexical"] = [{keys[p]} for p in cands.lexical if p is not None]
            run.ranked["dense"] = [{keys[p]} for p in cands.dense if p is not None]
            q = baseline_query(case)
            for b in baselines:
                hits = b.retrieve(q)
                run.ranked[b.name] = [gold_keys_in(c, case, _sentence(table)) for c in hits]
            runs.append(run)
    return CorpusRun(
        name=name,
        keys=keys,
        sources=[k[0] for k in keys],
        texts=[s.text for s in snap.sentences],
        questions=runs,
        index_seconds=index_seconds,
        query_ms={k: float(np.median(v)) if v else 0.0 for k, v in timings.items()},
    )


def _sentence(table: dict[str, dict[int, str]]) -> Callable[[str, int], str | None]:
    return lambda source, number: table.get(source, {}).get(number)


def hits(questions: Iterable[QuestionRun], method: str) -> dict[str, float]:
    """Mean hit@k of ``method`` over ``questions``."""
    rows = [retrieval_metrics(q.ranked[method], q.case.gold_sets) for q in questions]
    return {f"hit@{k}": sum(r[f"hit@{k}"] for r in rows) / len(rows) for k in KS} if rows else {}


def by_part(runs: Sequence[CorpusRun]) -> dict[str, list[QuestionRun]]:
    out: dict[str, list[QuestionRun]] = {}
    for run in runs:
        for q in run.questions:
            out.setdefault(q.case.part, []).append(q)
    return {p: out[p] for p in PART_ORDER if p in out}


def pool_recall(questions: Sequence[QuestionRun]) -> tuple[float, float]:
    """Share of questions with a gold sentence in the reader's candidate pool (at most
    POOL_K deep), and the pool's mean size."""
    if not questions or "pool" not in questions[0].ranked:
        return float("nan"), 0.0
    found = [
        retrieval_metrics(q.ranked["pool"], q.case.gold_sets, (POOL_K,))[f"hit@{POOL_K}"]
        for q in questions
    ]
    return sum(found) / len(found), sum(len(q.ranked["pool"]) for q in questions) / len(questions)


def table(runs: Sequence[CorpusRun], methods: Sequence[str] = METHODS) -> str:
    """Markdown: one row per suite half, hit@1/3/5/10 of each method, and the pool's recall."""
    head = (
        "| suite half | n | "
        + " | ".join(f"{m} @1/@3/@5/@10" for m in methods)
        + f" | pool recall@{POOL_K} (size) |"
    )
    lines = [head, "|" + "---|" * (3 + len(methods))]
    for part, questions in by_part(runs).items():
        cells = []
        for m in methods:
            h = hits(questions, m)
            cells.append("/".join(f"{h[f'hit@{k}']:.3f}" for k in KS))
        recall, size = pool_recall(questions)
        cells.append(f"{recall:.3f} ({size:.1f})")
        lines.append(f"| {part} | {len(questions)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(corpora: Sequence[str], squad_sample: int | None, progress: bool) -> list[CorpusRun]:
    """Index and rank every corpus; print the table and each corpus's size and speed."""
    with tempfile.TemporaryDirectory(prefix="newsqa-retrieval-") as name:
        tmp = Path(name)
        runs = [collect(c, tmp, squad_sample, progress) for c in corpora]
    print(table(runs))
    for r in runs:
        print(
            f"{r.name}: {len(r.keys)} sentences, indexed in {r.index_seconds:.1f} s, "
            f"hybrid retrieve p50 {r.query_ms['hybrid']:.1f} ms"
        )
    return runs
