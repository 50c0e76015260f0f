"""Tune ``llm.support_threshold`` on the dev cases (never the holdout), from real model replies.

    python -m eval.llm_run --out RUN.json                    # the local model on eval/cases.jsonl
    python -m eval.tune_support pairs RUN.json PAIRS.jsonl   # the pairs the threshold decides
    (label each pair: "label": true when the sentence is supported by the cited sentence)
    python -m eval.tune_support tune eval/support_labels.jsonl

``pairs`` re-runs retrieval for each case (in-process, same index) and, for every sentence
of the model's raw reply, lists the evidence sentence the verifier would weigh it against:
the sentence it cited (if the citation points at a shown sentence) and the best-scoring
candidate whose numbers, dates and names all match. Only pairs that pass the specifics
check are listed: for the others the threshold decides nothing. ``tune`` scores every
threshold from 0.30 to 0.95 on the labelled pairs by F0.5 (precision weighs double: a
sentence shown with a citation that does not support it is worse than a supported sentence
dropped) and picks the LOWEST threshold within ``TIE`` of the best F0.5: a difference of one
pair is noise at this size, and a lower threshold keeps more faithful paraphrases, which
models better than the local one write. It also compares the score with its two parts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _pairs(run: Path, out: Path) -> int:
    from service.answering.base import Question
    from service.answering.citations import split_marked
    from service.answering.llm_answerer import _COMPLETE, LLMAnswerer
    from service.answering.verification import Verifier
    from service.container import Container
    from service.settings import Settings

    settings = Settings()
    container = Container(settings)
    llm = container.answerers.get("llm")
    if not isinstance(llm, LLMAnswerer):
        print(
            "configure an LLM (NEWSQA_LLM__BASE_URL) with the settings of the run", file=sys.stderr
        )
        return 2
    records = json.loads(run.read_text())["records"]
    rows: list[dict[str, Any]] = []
    for rec in records:
        final = rec["final"]
        if not rec["raw"].strip() or final.get("refusal_reason") not in (None, "model_declined"):
            continue  # refused before the model was called: the deltas are the refusal
        standalone = final.get("standalone_question") or rec["question"]
        retrieval = container.retriever().retrieve(standalone)
        _, shown = llm.build(Question(rec["question"], standalone), retrieval)
        verifier = Verifier(retrieval.snapshot, llm.embed, settings.llm.support_threshold)
        numbered = {s.number: verifier.candidate(s.evidence.ref, s.number) for s in shown}
        pool = {(c.ref.source, c.ref.sentence): c for c in numbered.values()}
        for s in shown:
            for ref in (*s.evidence.before, *s.evidence.after):
                pool.setdefault((ref.source, ref.sentence), verifier.candidate(ref, None))
        sentences = split_marked(rec["raw"])
        if sentences and not _COMPLETE.search(sentences[-1].text):
            sentences.pop()  # cut off at max_answer_tokens: the service drops it too
        if not sentences:
            continue
        vectors = llm.embed([s.text for s in sentences])
        from service.answering.facts import specifics

        for sentence, vec in zip(sentences, vectors, strict=True):
            specs = specifics(sentence.text, retrieval.snapshot, verifier.common)
            scored = []
            for cand in pool.values():
                score, missing = verifier.score(sentence.text, vec, specs, [cand])
                if not missing:
                    lexical, dense = verifier.overlap(sentence.text, vec, [cand])
                    scored.append((score, lexical, dense, cand))
            chosen = {}
            for m in sentence.markers:
                if m in numbered:
                    hit = next((t for t in scored if t[3] is numbered[m]), None)
                    if hit:
                        chosen[id(hit[3])] = ("cited", hit)
            if scored:
                best = max(scored, key=lambda t: t[0])
                chosen.setdefault(id(best[3]), ("best", best))
            for how, (score, lexical, dense, cand) in chosen.values():
                rows.append(
                    {
                        "case": rec["id"],
                        "question": rec["question"],
                        "claim": sentence.text,
                        "source": cand.ref.source,
                        "sentence": cand.ref.sentence,
                        "cited_text": cand.ref.text,
                        "how": how,
                        "score": round(score, 4),
                        "lexical": round(lexical, 4),
                        "dense": round(dense, 4),
                        "label": None,
                    }
                )
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(rows)} pairs from {len(records)} cases -> {out}")
    return 0


TIE = 0.01


def f_beta(tp: int, fp: int, fn: int, beta: float = 0.5) -> float:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0


def sweep(rows: list[dict[str, Any]], key: str) -> list[tuple[float, float, float, float]]:
    """(threshold, precision, recall, F0.5) for thresholds 0.30..0.95."""
    out = []
    for step in range(30, 96):
        t = step / 100
        tp = sum(1 for r in rows if r[key] >= t and r["label"])
        fp = sum(1 for r in rows if r[key] >= t and not r["label"])
        fn = sum(1 for r in rows if r[key] < t and r["label"])
        p = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        out.append((t, p, rec, f_beta(tp, fp, fn)))
    return out


def _tune(labels: Path) -> int:
    rows = [json.loads(line) for line in labels.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.get("label") is not None]
    for r in rows:
        r["mean"] = (r["lexical"] + max(r["dense"], 0.0)) / 2
    positives = sum(r["label"] for r in rows)
    print(f"{len(rows)} labelled pairs ({positives} supported, {len(rows) - positives} not)")
    best_by: dict[str, tuple[float, float, float, float]] = {}
    for key in ("mean", "lexical", "dense"):
        table = sweep(rows, key)
        best = max(table, key=lambda t: (round(t[3], 4), -t[0]))
        best_by[key] = best
        print(
            f"{key:8s} best F0.5 {best[3]:.3f} at {best[0]:.2f} (precision {best[1]:.3f}, "
            f"recall {best[2]:.3f})"
        )
    table = sweep(rows, "mean")
    chosen = min(t for t in table if t[3] >= best_by["mean"][3] - TIE)
    print("\nthreshold  precision  recall  F0.5   (score = mean of lexical and dense)")
    for t, p, r, f in table:
        if round(t * 100) % 5 == 0 or t == chosen[0]:
            mark = "  <- chosen" if t == chosen[0] else ""
            print(f"  {t:.2f}     {p:.3f}     {r:.3f}   {f:.3f}{mark}")
    print(f"\nsupport_threshold = {chosen[0]:.2f} (lowest within {TIE} of the best F0.5)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "pairs":
        return _pairs(Path(args[1]), Path(args[2]))
    if len(args) == 2 and args[0] == "tune":
        return _tune(Path(args[1]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
