"""Candidate-sentence rows of the tuning questions, for fitting the sentence scorer.

Each corpus is indexed in an in-process service exactly as ``python -m eval suites`` does
(the SQuAD articles of both halves, the news pages of both halves: the same index the
suites ask), but only the **tuning** questions are turned into rows: the held-out halves
and the home set (the seed articles) never are. Every row comes from the serving code:
``followup.condense``, the service's retriever, ``answering.features.candidates`` and
``answering.refusal.refusal`` (the questions it refuses are not answered in service), so
that fitting and serving see the same features.

Labels: a candidate is positive when it is a gold sentence of the question (SQuAD: it
overlaps a gold answer span; news: a labelled evidence or related sentence). An
unanswerable question's candidates are all negative. The rows are cached in
``eval/cache/`` (git-ignored): computing them takes minutes, fitting seconds.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.cases import EVAL_DIR, Case

CACHE_DIR = EVAL_DIR / "cache"
TUNING_PARTS = {"squad-tuning", "news-tuning"}


@dataclass
class Rows:
    """The candidate rows of all tuning questions, and one record per question."""

    matrix: np.ndarray  # rows x features
    labels: np.ndarray  # 1 = gold sentence
    question: np.ndarray  # index into ``questions`` per row
    words: np.ndarray  # the sentence's length in words (the claim word budget needs it)
    # id, corpus, part, answerable, group; rule / rule_light: the refusal reason with and
    # without the evidence rules (None: answered); answerability: the reader's best probability
    questions: list[dict[str, Any]]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            matrix=self.matrix,
            labels=self.labels,
            question=self.question,
            words=self.words,
            questions=np.array(json.dumps(self.questions)),
        )

    @classmethod
    def load(cls, path: Path) -> Rows:
        data = np.load(path)
        return cls(
            data["matrix"],
            data["labels"],
            data["question"],
            data["words"],
            json.loads(str(data["questions"])),
        )


def _neutral_weights(folder: Path) -> Path:
    """A weights file for the current features with no weight: the service must start to
    compute rows, and the committed file may be stale (features changed)."""
    from service.answering.features import FEATURES

    n = len(FEATURES)
    path = folder / "neutral_scorer.json"
    path.write_text(
        json.dumps(
            {
                "version": "neutral",
                "features": list(FEATURES),
                "mean": [0.0] * n,
                "scale": [1.0] * n,
                "coef": [0.0] * n,
                "intercept": 0.0,
                "claims": {"keep_ratio": 1.0},
            }
        ),
        encoding="utf-8",
    )
    return path


def _corpus_rows(name: str, tmp: Path, out: list[dict[str, Any]]) -> None:
    from eval.client import InProcess
    from eval.corpus import from_api
    from eval.suites import corpus_of, corpus_settings
    from service.answering.base import Turn
    from service.answering.features import candidates
    from service.answering.followup import condense
    from service.answering.refusal import Policy, reader_decides, refusal

    files, make_cases = corpus_of(name, None, tmp)
    article: dict[str, str] = {}
    if name == "squad":
        from eval.squad import load_articles

        for art in load_articles():
            article.update({qa["id"]: art.source for qas in art.qas for qa in qas})
    settings = corpus_settings(name, files, tmp)
    settings.answer.scorer_weights = _neutral_weights(tmp)
    with InProcess(settings) as local:
        table = from_api(local.client.get_json)
        cases, notes = make_cases(local, table)
        for note in notes:
            print(f"{name}: {note}", file=sys.stderr)
        container = local.app.state.container
        retriever = container.retriever()
        tuning = [c for c in cases if c.part in TUNING_PARTS]
        print(f"{name}: {len(tuning)} tuning questions", file=sys.stderr)
        for case in tuning:
            snap = retriever.state.snapshot()
            history = tuple(Turn(t.role, t.content) for t in case.history)
            standalone = condense(case.question, history, snap)
            retrieval = retriever.retrieve(standalone)
            ruled = refusal(case.question, standalone, retrieval, settings.answer)
            # without the evidence rules: what the reader's threshold alone would face
            light = refusal(
                case.question, standalone, retrieval, settings.answer, Policy(None, False)
            )
            found = candidates(standalone, retrieval)
            gold = _gold(case)
            out.append(
                {
                    "id": case.id,
                    "corpus": name,
                    "part": case.part,
                    "answerable": case.answerable,
                    "rule": ruled.reason if ruled else None,
                    "rule_light": light.reason if light else None,
                    # None where the reader's threshold does not apply (reader_decides)
                    "answerability": retrieval.answerability
                    if reader_decides(standalone, retrieval)
                    else None,
                    "group": article.get(case.id) or _group(case),
                    "matrix": found.matrix,
                    "labels": [
                        int((snap.sentences[p].source, snap.sentences[p].number) in gold)
                        for p in found.positions
                    ],
                    "words": [len(snap.sentences[p].text.split()) for p in found.positions],
                }
            )


def _gold(case: Case) -> set[tuple[str, int]]:
    keys = {g.key for group in case.evidence for g in group}
    return keys | {g.key for g in case.related}


def _group(case: Case) -> str:
    """The page a news question belongs to (cross-validation folds keep pages whole): its
    gold source, or for an unanswerable one the page part of its id."""
    sources = sorted({g.source for group in case.evidence for g in group})
    return sources[0] if sources else case.id.rsplit("-", 1)[0]


def collect(corpora: tuple[str, ...] = ("squad", "news")) -> Rows:
    """Rows for the tuning questions of ``corpora`` (indexes each corpus: minutes)."""
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="newsqa-fit-") as tmp_name:
        for name in corpora:
            _corpus_rows(name, Path(tmp_name), records)
    matrices, labels, question, words, questions = [], [], [], [], []
    for i, rec in enumerate(records):
        matrices.append(rec.pop("matrix"))
        labels += rec.pop("labels")
        words += rec.pop("words")
        question += [i] * len(matrices[-1])
        questions.append(rec)
    return Rows(
        np.vstack(matrices),
        np.asarray(labels, dtype=np.int8),
        np.asarray(question, dtype=np.int32),
        np.asarray(words, dtype=np.int32),
        questions,
    )
