"""The retrieval-only eval (``python -m eval retrieval``): its table and its sweep.

The sweep claims to rank the way the retriever does; checked here against the
retriever's own fusion on random scores.
"""

from __future__ import annotations

import numpy as np

from eval.cases import Case
from eval.retrieval import CorpusRun, QuestionRun, hits, table
from eval.retrieval_sweep import Setting, rank
from service.retrieval.fusion import fuse_scores
from service.settings import RetrievalSettings


def _case(part: str, gold: tuple[str, int]) -> Case:
    case = Case.model_validate(
        {
            "id": f"{part}-{gold[1]}",
            "question": "Who built it?",
            "answerable": True,
            "answers": [["x"]],
            "evidence": [[{"source": gold[0], "sentence": gold[1], "quote": "built"}]],
        }
    )
    case.part = part
    return case


def test_hits_and_table_count_a_gold_sentence_within_k() -> None:
    first = QuestionRun(_case("squad-tuning", ("a", 2)), ranked={"hybrid": [{("a", 2)}]})
    third = QuestionRun(
        _case("squad-tuning", ("a", 3)), ranked={"hybrid": [{("a", 1)}, {("b", 1)}, {("a", 3)}]}
    )
    assert hits([first, third], "hybrid") == {
        "hit@1": 0.5,
        "hit@3": 1.0,
        "hit@5": 1.0,
        "hit@10": 1.0,
    }
    run = CorpusRun("squad", [], [], [], [first, third], 0.0, {})
    assert "| squad-tuning | 2 | 0.500/1.000/1.000/1.000 |" in table([run], ["hybrid"])


def test_the_sweep_ranks_as_the_retriever_fuses() -> None:
    rng = np.random.default_rng(7)
    sources = np.array(["a"] * 12 + ["b"] * 8)
    settings = RetrievalSettings(fusion="convex", dense_share=0.7, smoothing=0.1)
    for _ in range(20):
        cosine = rng.uniform(-0.1, 0.9, len(sources))
        bm25 = np.where(rng.random(len(sources)) < 0.4, rng.uniform(0, 9, len(sources)), 0.0)
        q = QuestionRun(_case("news-tuning", ("a", 1)), lexical_scores=bm25, dense_scores=cosine)
        swept = rank(q, sources, Setting("convex", 5, 0.0, 0.7, 0.1), top=5)

        dense = [int(i) for i in np.argsort(-cosine, kind="stable")[:5]]
        order = np.lexsort((np.arange(len(bm25)), -bm25))[:5]
        lexical = [int(i) for i in order if bm25[i] > 0]

        def near(p: int) -> list[int]:
            return [j for j in (p - 1, p + 1) if 0 <= j < len(sources) and sources[j] == sources[p]]

        fused = fuse_scores(dense, lexical, lambda p, c=cosine: float(c[p]), bm25, near, settings)
        assert fused.top(5) == swept
