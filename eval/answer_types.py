"""``python -m eval answer-types``: does the answer-type check find answers, and tell them apart?

For each question that asks for an entity type (who, when, where, how many, ...), two
figures, for the NER check (``expected_labels`` against the labels spaCy stored with each
sentence at ingest) and for the older regex check (``question.answer_shape``):

- gold: the share of questions whose gold sentence matches the asked type (recall: a
  check that fails here would push the answer away);
- others: the share of the other top-10 retrieved candidates (not gold) that match too
  (lower = more discriminative; a check that every sentence passes tells nothing).

Reads the TUNING halves only (SQuAD tuning articles, news tuning pages): the figures are
for choosing, so they must not come from the held-out halves. Also times the tagger alone
(sentences/s on 2,000 indexed sentences, the model already loaded) with the load average.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.cases import Case

TOP = 10


@dataclass
class Tally:
    questions: int = 0
    gold_match: int = 0
    others: int = 0
    others_match: int = 0
    unknown: int = 0  # sentences without stored labels

    def row(self, name: str, method: str) -> str:
        gold = self.gold_match / self.questions if self.questions else 0.0
        other = self.others_match / self.others if self.others else 0.0
        return f"| {name} | {method} | {self.questions} | {gold:.3f} | {other:.3f} |"


@dataclass
class CorpusResult:
    name: str
    answerable: int = 0
    ner: Tally = field(default_factory=Tally)
    regex: Tally = field(default_factory=Tally)
    by_label: dict[str, Tally] = field(default_factory=dict)


def _corpus(name: str, tmp: Path) -> tuple[list[Path], Any, str]:
    from eval.suites import _news, _squad

    if name == "squad":
        files, make = _squad(None, tmp / "squad-docs")
        return files, make, "squad-tuning"
    files, make = _news()
    return files, make, "news-tuning"


def measure_corpus(name: str, tmp: Path) -> tuple[CorpusResult, list[str]]:
    """Index the corpus in-process (with the configured tagger) and score its tuning half."""
    from eval.client import InProcess
    from eval.corpus import from_api
    from eval.suites import corpus_settings
    from service.language.entities import expected_labels
    from service.language.question import answer_shape

    files, make, part = _corpus(name, tmp)
    settings = corpus_settings(name, files, tmp)
    result = CorpusResult(name)
    with InProcess(settings) as local:
        cases: list[Case]
        cases, _ = make(local, from_api(local.client.get_json))
        retriever = local.app.state.container.retriever()
        snap = retriever.state.snapshot()
        for case in cases:
            if case.part != part or not case.answerable:
                continue
            result.answerable += 1
            gold = {
                snap.position[(g.source, g.sentence)]
                for s in case.evidence
                for g in s
                if (g.source, g.sentence) in snap.position
            }
            ranked = retriever.retrieve(case.question, top_k=TOP).evidence
            others = [snap.position[(e.ref.source, e.ref.sentence)] for e in ranked]
            others = [p for p in others if p not in gold]
            want = expected_labels(case.question)
            if want is not None:
                _count(result.ner, gold, others, lambda p, w=want: snap.holds_entity(p, w))
                key = ",".join(sorted(want))
                tally = result.by_label.setdefault(key, Tally())
                _count(tally, gold, others, lambda p, w=want: snap.holds_entity(p, w))
            shape = answer_shape(case.question)
            if shape is not None:
                _count(
                    result.regex,
                    gold,
                    others,
                    lambda p, s=shape: bool(s.search(snap.sentences[p].text)),
                )
        texts = [s.text for s in snap.sentences]
    return result, texts


def _count(tally: Tally, gold: set[int], others: list[int], match: Any) -> None:
    tally.questions += 1
    verdicts = [match(p) for p in gold]
    tally.unknown += sum(v is None for v in verdicts)
    tally.gold_match += any(bool(v) for v in verdicts)
    for p in others:
        verdict = match(p)
        tally.unknown += verdict is None
        tally.others += 1
        tally.others_match += bool(verdict)


def squad_answer_labels() -> list[str]:
    """For SQuAD tuning questions, by asked label set: how often the entity the tagger finds
    over the gold answer span carries an asked label (the mapping's own recall, on answers
    rather than sentences), and the labels such answers carry most."""
    from eval.squad import load_articles
    from service.language.entities import SpacyTagger, expected_labels

    nlp = SpacyTagger().load()
    asked: dict[str, list[set[str]]] = {}
    for art in load_articles():
        if art.part != "squad-tuning":
            continue
        ends = [*(s - 2 for s in art.paragraph_starts[1:]), len(art.text)]
        paragraphs = [art.text[a:b] for a, b in zip(art.paragraph_starts, ends, strict=True)]
        for doc, qas in zip(nlp.pipe(paragraphs), art.qas, strict=True):
            for qa in qas:
                want = expected_labels(qa["question"])
                if qa.get("is_impossible") or want is None:
                    continue
                begin = int(qa["answers"][0]["answer_start"])
                end = begin + len(qa["answers"][0]["text"])
                found = {e.label_ for e in doc.ents if e.start_char < end and begin < e.end_char}
                asked.setdefault(",".join(sorted(want)), []).append(found)
    lines = [
        "| asked labels | questions | answer carries an asked label | answer labels (share) |",
        "|---|---|---|---|",
    ]
    for key, answers in sorted(asked.items(), key=lambda kv: -len(kv[1])):
        labels = set(key.split(","))
        hit = sum(bool(a & labels) for a in answers) / len(answers)
        counts: dict[str, int] = {}
        for a in answers:
            for label in a or {"none"}:
                counts[label] = counts.get(label, 0) + 1
        top = ", ".join(
            f"{k} {v / len(answers):.2f}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
        )
        lines.append(f"| {key} | {len(answers)} | {hit:.3f} | {top} |")
    return lines


def time_tagger(texts: list[str], n: int = 2000) -> list[str]:
    """Sentences/s of the NER tagger alone, model loaded, for a few batch/process settings."""
    from service.language.entities import SpacyTagger

    sample = (texts * (n // max(1, len(texts)) + 1))[:n]
    lines = []
    for batch, processes in ((256, 1), (64, 1), (256, 2)):
        tagger = SpacyTagger(batch_size=batch, processes=processes)
        tagger.labels(sample[:50])  # load and warm up
        started = time.perf_counter()
        tagger.labels(sample)
        rate = len(sample) / (time.perf_counter() - started)
        load = "/".join(f"{x:.2f}" for x in os.getloadavg())
        lines.append(
            f"- NER alone, batch {batch}, {processes} process(es): {rate:.0f} sentences/s "
            f"on {len(sample)} sentences (load average {load})"
        )
    return lines


def run(corpora: list[str], timing: bool = True) -> str:
    out = [
        "| corpus (tuning half) | check | typed questions | gold sentence matches | "
        "other top-10 candidates match |",
        "|---|---|---|---|---|",
    ]
    notes: list[str] = []
    by_label: list[str] = []
    texts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="newsqa-answer-types-") as tmp_name:
        for name in corpora:
            result, corpus_texts = measure_corpus(name, Path(tmp_name))
            texts += corpus_texts
            out.append(result.ner.row(f"{name} ({result.answerable} answerable)", "NER"))
            out.append(result.regex.row(f"{name} ({result.answerable} answerable)", "regex"))
            if result.ner.unknown:
                notes.append(f"- {name}: {result.ner.unknown} sentence checks had no labels")
            for key, tally in sorted(result.by_label.items(), key=lambda kv: -kv[1].questions):
                by_label.append(tally.row(name, key))
    text = "\n".join(out) + "\n\nNER by asked label set:\n\n"
    text += "| corpus | labels | questions | gold matches | others match |\n|---|---|---|---|---|\n"
    text += "\n".join(by_label) + "\n"
    if notes:
        text += "\n" + "\n".join(notes) + "\n"
    if "squad" in corpora:
        text += "\nSQuAD tuning: labels of the entity over the gold answer span:\n\n"
        text += "\n".join(squad_answer_labels()) + "\n"
    if timing and texts:
        text += "\n" + "\n".join(time_tagger(texts)) + "\n"
    return text
