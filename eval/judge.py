"""Optional LLM-judged metrics, run only when an LLM is configured (``settings.llm``).

ALCE-style citation quality (Gao et al., 2023, "Enabling Large Language Models to Generate
Text with Citations"), with the LLM as the entailment judge:
- citation recall: share of answer sentences whose cited sentences, together, support it
  (an answer sentence without citations counts as unsupported);
- citation precision: share of citations that are relevant: a citation is irrelevant when
  it does not support the sentence alone and the sentence's other citations support it
  without it;
- answer correctness: share of answered, answerable cases the judge calls correct given the
  gold answers and gold evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from eval.metrics import mean
from eval.text import markers, split_answer_sentences, strip_markers

if TYPE_CHECKING:
    from service.settings import LLMSettings

Complete = Callable[[str], str]

SUPPORT_PROMPT = """You check whether evidence supports a claim.
Evidence:
{evidence}

Claim: {claim}

Does the evidence fully support the claim? Answer with one word: yes or no."""

CORRECT_PROMPT = """You grade an answer to a question about news articles.
Question: {question}
Reference facts: {reference}
Reference evidence:
{evidence}

Answer to grade: {answer}

Is the answer correct and consistent with the reference? Answer with one word: yes or no."""


def yes(reply: str) -> bool:
    return reply.strip().lower().lstrip("*\"' ").startswith("yes")


def openai_complete(settings: LLMSettings) -> Complete:
    from openai import OpenAI

    client = OpenAI(
        base_url=settings.effective_base_url,
        api_key=settings.effective_api_key or "unused",
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
    )

    def complete(prompt: str) -> str:
        reply = client.chat.completions.create(
            model=settings.model,
            messages=[{"role": "user", "content": prompt}],
            temperature=0.0,
            max_tokens=4,
        )
        return reply.choices[0].message.content or ""

    return complete


def supports(complete: Complete, evidence: Sequence[str], claim: str) -> bool:
    text = "\n".join(f"- {e}" for e in evidence)
    return yes(complete(SUPPORT_PROMPT.format(evidence=text, claim=claim)))


def judge_row(complete: Complete, row: dict[str, Any], gold: dict[str, Any]) -> dict[str, Any]:
    """Judged metrics of one answered row."""
    by_id = {int(c["id"]): str(c.get("text", "")) for c in row.get("citations", [])}
    supported = 0
    claims = 0
    relevant = 0
    cited = 0
    for sentence in split_answer_sentences(row.get("answer", "")):
        claim = strip_markers(sentence)
        ids = [i for i in dict.fromkeys(markers(sentence)) if i in by_id]
        claims += 1
        if not ids:
            continue
        together = supports(complete, [by_id[i] for i in ids], claim)
        supported += together
        for i in ids:
            cited += 1
            alone = supports(complete, [by_id[i]], claim) if len(ids) > 1 else together
            rest = [by_id[j] for j in ids if j != i]
            if alone or not (together and rest and supports(complete, rest, claim)):
                relevant += 1
    out: dict[str, Any] = {
        "judge_citation_recall": supported / claims if claims else None,
        "judge_citation_precision": relevant / cited if cited else None,
    }
    if row["answerable"]:
        reference = "; ".join(" / ".join(g) for g in gold.get("answers", [])) or "(none)"
        evidence = "\n".join(f"- {t}" for t in gold.get("texts", []))
        prompt = CORRECT_PROMPT.format(
            question=row.get("standalone_question") or row["question"],
            reference=reference,
            evidence=evidence,
            answer=strip_markers(row.get("answer", "")),
        )
        out["judge_answer_correct"] = 1.0 if yes(complete(prompt)) else 0.0
    return out


def judge_rows(
    complete: Complete,
    rows: Sequence[dict[str, Any]],
    gold: dict[str, dict[str, Any]],
    progress: bool = True,
) -> dict[str, Any]:
    """Judge every answered row in place (``row['judge']``); return the totals."""
    answered = [r for r in rows if not r.get("error") and not r.get("refused")]
    for row in tqdm(answered, desc="judge", unit="case", disable=not progress):
        row["judge"] = judge_row(complete, row, gold.get(row["id"], {}))
    keys = ["judge_citation_recall", "judge_citation_precision", "judge_answer_correct"]
    out: dict[str, Any] = {"judged_cases": len(answered)}
    for mode in sorted({r["mode"] for r in answered}):
        for key in keys:
            out[f"{mode} {key}"] = mean(r["judge"].get(key) for r in answered if r["mode"] == mode)
    return out
