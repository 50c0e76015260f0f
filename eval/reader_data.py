"""Training and measuring pairs for the sentence reader, built from SQuAD 2.0 JSON.

A pair is (question, candidate sentence): the sentence alone. Adding the title and the
neighbouring sentences after it was measured and did worse at an equal number of steps
(top-1 .765-.856 vs .856 on 300 part-A questions after 200 steps; eval/README.md).
Sentences are cut by the service's own splitter (``service.language.sentences.segment``),
so the reader is trained on the units it will be asked to score.

A sentence is a positive when it overlaps a gold answer span of an answerable question;
every other sentence of the paragraph is a negative, and so is every sentence of an
unanswerable question's paragraph (SQuAD 2.0 writes those questions against the paragraph
to look answerable: they are the hard negatives the answerability score needs). The
hardest of them is the sentence holding the question's *plausible answer* (the span a
SQuAD annotator marked as what a careless reader would answer): ``plausible=True`` always
takes it (not the shipped model's setting; eval/README.md). At
``/ask`` the reader ranks sentences retrieved from the whole corpus, so negatives also come
from the article's other paragraphs, those sharing the most words with the question first
(a reader trained on its own paragraph only ranked the gold sentence first among the
retrieved candidates of SQuAD tuning less often than the fused retrieval did: .691 / .719).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.language.sentences import segment


@dataclass(frozen=True)
class Question:
    qid: str
    question: str
    article: str
    candidates: list[str]  # the paragraph's sentences
    positives: frozenset[int]  # indices into ``candidates``; empty: unanswerable
    elsewhere: tuple[str, ...] = ()  # the sentences of the article's other paragraphs
    answers: tuple[str, ...] = ()  # the gold answer texts
    plausible: frozenset[int] = frozenset()  # unanswerable: sentences of a plausible answer


def _sentences(context: str) -> list[tuple[int, int, str]]:
    out = []
    for span in segment(context):
        text = span.sent.strip()
        if text:
            out.append((span.start, span.start + len(span.sent), text))
    return out


def load_questions(path: Path) -> list[Question]:
    """Every question of a SQuAD 2.0 file with its paragraph's candidate sentences."""
    data = json.loads(path.read_text(encoding="utf-8"))
    questions: list[Question] = []
    for art in data["data"]:
        title = art["title"].replace("_", " ")
        paragraphs = [_sentences(para["context"]) for para in art["paragraphs"]]
        for n, para in enumerate(art["paragraphs"]):
            spans = paragraphs[n]
            candidates = [t for _, _, t in spans]
            elsewhere = tuple(t for m, p in enumerate(paragraphs) if m != n for _, _, t in p)
            for qa in para["qas"]:
                impossible = bool(qa.get("is_impossible"))
                positives = set() if impossible else _holding(spans, qa["answers"])
                if not impossible and not positives:
                    continue  # an answer the splitter cannot place: nothing to learn
                plausible = _holding(spans, qa.get("plausible_answers", ())) if impossible else ()
                questions.append(
                    Question(
                        qid=qa["id"],
                        question=qa["question"],
                        article=title,
                        candidates=candidates,
                        positives=frozenset(positives),
                        elsewhere=elsewhere,
                        answers=tuple(a["text"] for a in qa["answers"]),
                        plausible=frozenset(plausible),
                    )
                )
    return questions


def _holding(spans: list[tuple[int, int, str]], answers: Iterable[Mapping[str, Any]]) -> set[int]:
    """Indices of the sentences that overlap one of ``answers``' character spans."""
    held: set[int] = set()
    for ans in answers:
        begin = int(ans["answer_start"])
        end = begin + len(ans["text"])
        held |= {i for i, (s, e, _) in enumerate(spans) if s < end and begin < e}
    return held


_WORD = re.compile(r"\w+")


def _overlap(question: str, text: str) -> int:
    q = {w for w in _WORD.findall(question.lower()) if len(w) > 3}
    return len(q & set(_WORD.findall(text.lower())))


def training_pairs(
    questions: Sequence[Question],
    negatives: int,
    seed: int,
    cross: int = 0,
    plausible: bool = False,
) -> list[tuple[str, str, float]]:
    """Per question: its first answering sentence, and ``negatives`` other sentences of its
    paragraph (one more when unanswerable): with ``plausible``, the sentences of a plausible
    answer first; then those with the most question words (hard negatives) up to half,
    the rest drawn at random; and ``cross`` sentences of the article's other paragraphs with
    the most question words (ties: the earlier sentence) that hold none of its answers
    (SQuAD articles repeat facts: such a sentence may answer too)."""
    rng = random.Random(seed)
    pairs: list[tuple[str, str, float]] = []
    for q in questions:
        if cross and q.elsewhere:
            answers = [a.lower() for a in q.answers if a.strip()]
            near = sorted(
                (
                    i
                    for i, text in enumerate(q.elsewhere)
                    if not any(a in text.lower() for a in answers)
                ),
                key=lambda i: -_overlap(q.question, q.elsewhere[i]),
            )
            pairs += [(q.question, q.elsewhere[i], 0.0) for i in near[:cross]]
        pos = sorted(q.positives)
        if pos:
            pairs.append((q.question, q.candidates[pos[0]], 1.0))
        others = [i for i in range(len(q.candidates)) if i not in q.positives]
        want = negatives + (0 if pos else 1)
        sure = sorted(q.plausible) if plausible else []
        hard = sure + sorted(
            (i for i in others if i not in sure),
            key=lambda i: -_overlap(q.question, q.candidates[i]),
        )
        chosen = hard[: max(len(sure), (want + 1) // 2)]
        rest = [i for i in others if i not in chosen]
        chosen += rng.sample(rest, min(len(rest), want - len(chosen)))
        pairs += [(q.question, q.candidates[i], 0.0) for i in chosen]
    return pairs
