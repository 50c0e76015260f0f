"""Metric functions: pure, small, and each defined in ``eval/README.md``.

Per-case functions take plain data (ranked keys, citations, answer text, gold sets) so
that they can be tested on hand-made inputs; :mod:`eval.aggregate` averages them.
A gold key is ``(source, sentence)``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from eval.text import (
    contains_phrase,
    content_tokens,
    key_terms,
    markers,
    normalise,
    split_answer_sentences,
    strip_markers,
    tokens,
)

Key = tuple[str, int]
KS = (1, 3, 5, 10)


# --- retrieval -------------------------------------------------------------------------


def retrieval_metrics(
    ranked: Sequence[Iterable[Key]], gold_sets: Sequence[set[Key]], ks: Sequence[int] = KS
) -> dict[str, float]:
    """hit@k, recall@k and MRR of one ranked list against the gold evidence sets.

    ``ranked`` holds, best first, the gold-comparable keys each retrieved item covers: one
    sentence for the service, every sentence a chunk contains for a chunk baseline.
    hit@k: some gold sentence (of any acceptable set) is in the top k items.
    recall@k: the best acceptable set's share of sentences found in the top k items.
    MRR: 1 / rank of the first item holding a gold sentence, within the top max(ks).
    """
    union = set().union(*gold_sets) if gold_sets else set()
    items = [set(item) for item in ranked]
    out: dict[str, float] = {}
    for k in ks:
        found = set().union(*items[:k]) if items[:k] else set()
        out[f"hit@{k}"] = float(bool(found & union))
        out[f"recall@{k}"] = max((len(found & s) / len(s) for s in gold_sets if s), default=0.0)
    rr = 0.0
    for rank, item in enumerate(items[: max(ks)], 1):
        if item & union:
            rr = 1.0 / rank
            break
    out["mrr"] = rr
    return out


# --- citations -------------------------------------------------------------------------


@dataclass(frozen=True)
class CitationCheck:
    """One citation of an answer, checked against ``GET /sources/{s}/sentences/{n}``."""

    id: int
    key: Key
    text: str
    valid: bool  # the sentence exists and its text equals the citation's text


def check_citations(
    citations: Sequence[dict[str, object]], lookup: Callable[[str, int], str | None]
) -> list[CitationCheck]:
    """``lookup(source, n)`` returns the stored text of a sentence, or None if it is not there."""
    out = []
    for c in citations:
        source, number = str(c["source"]), int(str(c["sentence"]))
        stored = lookup(source, number)
        text = str(c.get("text", ""))
        valid = stored is not None and " ".join(stored.split()) == " ".join(text.split())
        out.append(CitationCheck(int(str(c["id"])), (source, number), text, valid))
    return out


def citation_id_metrics(
    cited: AbstractSet[Key], gold_sets: Sequence[set[Key]], related: AbstractSet[Key] = frozenset()
) -> dict[str, float]:
    """ID-level precision and recall of the cited sentences.

    precision: share of cited sentences that belong to some acceptable gold set or to the
    case's related sentences (citing a second source for the same fact, or another statement
    of the speaker asked about, is not an error). recall: share of the best-matching
    gold set that is cited (the set that the citations cover best). source_recall: share of
    the sources named in the gold sets that are cited at least once (for facts reported by
    several sources: did the answer cite all of them?).
    """
    union = set().union(*gold_sets) if gold_sets else set()
    precision = len(cited & (union | related)) / len(cited) if cited else 0.0
    recall = max((len(cited & s) / len(s) for s in gold_sets if s), default=0.0)
    gold_sources = {src for src, _ in union}
    cited_sources = {src for src, _ in set(cited) & union}
    source_recall = len(cited_sources) / len(gold_sources) if gold_sources else 0.0
    f1 = _f1(precision, recall)
    return {
        "citation_precision": precision,
        "citation_recall": recall,
        "citation_f1": f1,
        "source_recall": source_recall,
    }


def claim_metrics(answer: str, checks: Sequence[CitationCheck]) -> dict[str, float | None]:
    """Per-answer-sentence citation coverage and lexical support.

    cited_sentence_share: answer sentences with at least one ``[n]`` that names a valid
    citation. key_term_support: numbers, dates and names of each cited answer sentence
    found in its cited sentences (pooled over the answer). token_support: mean share of
    each cited answer sentence's content words found in its cited sentences.
    dangling_markers: ``[n]`` markers that name no citation.
    """
    by_id = {c.id: c for c in checks}
    sentences = split_answer_sentences(answer)
    cited = 0
    dangling = 0
    terms_total = 0
    terms_found = 0
    overlaps: list[float] = []
    for sentence in sentences:
        ids = markers(sentence)
        dangling += sum(1 for i in ids if i not in by_id)
        texts = [by_id[i].text for i in ids if i in by_id and by_id[i].valid]
        if not texts:
            continue
        cited += 1
        evidence = " ".join(texts)
        terms = key_terms(sentence)
        terms_total += len(terms)
        terms_found += sum(1 for t in terms if contains_phrase(evidence, t))
        words = content_tokens(sentence)
        if words:
            have = set(tokens(evidence))
            overlaps.append(sum(1 for w in words if w in have) / len(words))
    return {
        "answer_sentences": float(len(sentences)),
        "cited_sentence_share": cited / len(sentences) if sentences else None,
        "key_term_support": terms_found / terms_total if terms_total else None,
        "token_support": sum(overlaps) / len(overlaps) if overlaps else None,
        "dangling_markers": float(dangling),
    }


# --- answers ---------------------------------------------------------------------------


def answer_recall(answer: str, groups: Sequence[Sequence[str]]) -> float | None:
    """Share of gold answer groups with at least one alias in the answer (whole words,
    normalised). None when the case has no gold short answers."""
    if not groups:
        return None
    text = strip_markers(answer)
    return sum(1 for g in groups if any(contains_phrase(text, a) for a in g)) / len(groups)


def token_f1(answer: str, groups: Sequence[Sequence[str]]) -> float | None:
    """SQuAD-style token F1 between the answer and the gold answers.

    The reference is, for each group, the alias the answer contains (else the group's
    first alias), joined. Articles are dropped on both sides. Long answers score a low
    precision: read it together with answer_recall and answer length.
    """
    if not groups:
        return None
    text = strip_markers(answer)
    ref: list[str] = []
    for group in groups:
        alias = next((a for a in group if contains_phrase(text, a)), group[0])
        ref += normalise(alias).split()
    drop = {"a", "an", "the"}
    pred = [t for t in normalise(text).split() if t not in drop]
    gold = [t for t in ref if t not in drop]
    common = sum((Counter(pred) & Counter(gold)).values())
    if not pred or not gold or not common:
        return 0.0
    return _f1(common / len(pred), common / len(gold))


def answer_words(answer: str) -> int:
    return len(strip_markers(answer).split())


# --- abstention ------------------------------------------------------------------------


def outcome(answerable: bool, refused: bool, correct: bool) -> str:
    """``correct`` / ``refused`` / ``wrong`` for the +1 / 0 / -1 score.

    An unanswerable case (out of scope, injection) is correct when refused and wrong when
    answered; an answerable case is correct when answered well, ``refused`` when refused,
    wrong otherwise.
    """
    if not answerable:
        return "correct" if refused else "wrong"
    if refused:
        return "refused"
    return "correct" if correct else "wrong"


SCORE = {"correct": 1.0, "refused": 0.0, "wrong": -1.0}


def abstention_metrics(rows: Sequence[tuple[bool, bool]]) -> dict[str, float | None]:
    """Refusal precision, recall, F1 and false-refusal rate over (answerable, refused) rows.

    The positive class is "should refuse" (not answerable).
    """
    tp = sum(1 for a, r in rows if r and not a)
    fp = sum(1 for a, r in rows if r and a)
    fn = sum(1 for a, r in rows if not r and not a)
    answerable = sum(1 for a, _ in rows if a)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = _f1(precision, recall) if precision is not None and recall is not None else None
    return {
        "refusal_precision": precision,
        "refusal_recall": recall,
        "refusal_f1": f1,
        "false_refusal_rate": fp / answerable if answerable else None,
    }


# --- helpers ---------------------------------------------------------------------------


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), None for no values."""
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None
