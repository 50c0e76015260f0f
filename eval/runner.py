"""Run the cases against the service (and the baselines) and score every case.

One row per (case, mode): what was asked, what came back, and the case's metrics. The
answer call is the production call (the service's default ``top_k``) with
``include_retrieval``; when its ranked list is shorter than the deepest k measured, one
more extractive call with ``top_k = k`` gets the ranked list for the retrieval metrics
(retrieval does not depend on the answer mode; its latency is not counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tqdm import tqdm

from eval.baselines import Baseline, baseline_query, gold_keys_in
from eval.cases import Case
from eval.client import ServiceClient
from eval.metrics import (
    KS,
    SCORE,
    answer_recall,
    answer_words,
    check_citations,
    citation_id_metrics,
    claim_metrics,
    outcome,
    retrieval_metrics,
    token_f1,
)

# An answered answerable case counts as correct when it contains at least this share of
# the gold answer groups (for a one-group case: the gold answer).
CORRECT_MIN_ANSWER_RECALL = 0.5


def ask_payload(case: Case, mode: str, top_k: int | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "question": case.question,
        "mode": mode,
        "include_retrieval": True,
        **case.request,
    }
    if case.history:
        payload["history"] = [t.model_dump() for t in case.history]
    if top_k is not None:
        payload["top_k"] = top_k
    return payload


def evaluate_case(
    client: ServiceClient, case: Case, mode: str, depth: int = max(KS)
) -> dict[str, Any]:
    """Ask the service one case and score the reply."""
    row: dict[str, Any] = {
        "id": case.id,
        "part": case.part,
        "mode": mode,
        "question": case.question,
        "history": [t.model_dump() for t in case.history],
        "tags": case.tags,
        "answerable": case.answerable,
        "metrics": {},
    }
    reply = client.ask(ask_payload(case, mode))
    row["status"] = reply.status
    row["latency_ms"] = reply.latency_ms
    body = reply.body
    if reply.status != 200:
        row.update(error=f"HTTP {reply.status}: {body.get('error')}: {body.get('detail')}")
        row.update(refused=False, outcome="wrong", score=SCORE["wrong"])
        return row
    answer = str(body.get("answer", ""))
    refused = bool(body.get("refused"))
    citations = list(body.get("citations") or [])
    row.update(
        answer=answer,
        refused=refused,
        citations=citations,
        answered_mode=body.get("mode"),
        fallback=body.get("fallback"),
        standalone_question=body.get("standalone_question"),
        answerability=body.get("answerability"),
        server_ms=(body.get("timings_ms") or {}).get("total"),
        # kept so that a suite's disputes can be counted (none expected outside the
        # corroboration suite: eval/README.md)
        disputed=bool(body.get("disputed")),
        conflict_kinds=[str(c.get("kind")) for c in body.get("conflicts") or []],
    )
    m = row["metrics"]

    if case.answerable:
        retrieved = list(body.get("retrieved") or [])
        if len(retrieved) < depth:
            deeper = client.ask(ask_payload(case, "extractive", top_k=depth))
            if deeper.status == 200 and deeper.body.get("retrieved"):
                retrieved = list(deeper.body["retrieved"])
        ranked = [[(str(r["source"]), int(r["sentence"]))] for r in retrieved]
        row["retrieved"] = [k[0] for k in ranked[:depth]]
        m.update(retrieval_metrics(ranked, case.gold_sets))

    if not refused:
        checks = check_citations(citations, client.sentence)
        row["invalid_citations"] = [c.id for c in checks if not c.valid]
        m["citation_validity"] = sum(c.valid for c in checks) / len(checks) if checks else None
        m.update(claim_metrics(answer, checks))
        row["answer_words"] = answer_words(answer)
        if case.answerable:
            cited = {c.key for c in checks}
            related = case.acceptable - case.gold_union
            m.update(citation_id_metrics(cited, case.gold_sets, related))
            if not any(t == "multi-source" for t in case.tags):
                m.pop("source_recall", None)
    correct = False
    if case.answerable and not refused:
        m["answer_recall"] = answer_recall(answer, case.answers)
        m["token_f1"] = token_f1(answer, case.answers)
        correct = (m["answer_recall"] or 0.0) >= CORRECT_MIN_ANSWER_RECALL
    row["outcome"] = outcome(case.answerable, refused, correct)
    row["score"] = SCORE[row["outcome"]]
    return row


def evaluate_baselines(
    row: dict[str, Any], case: Case, baselines: Sequence[Baseline], client: ServiceClient
) -> None:
    """Add each baseline's retrieval metrics for an answerable case to its row."""
    if not case.answerable:
        return
    row["baselines"] = {}
    query = baseline_query(case)
    for baseline in baselines:
        hits = baseline.run(query)
        ranked = [gold_keys_in(chunk, case, client.sentence) for chunk in hits.chunks]
        row["baselines"][baseline.name] = {
            "latency_ms": hits.latency_ms,
            "retrieved": [sorted(k) for k in ranked],
            "metrics": retrieval_metrics(ranked, case.gold_sets),
        }


def run_cases(
    client: ServiceClient,
    cases: Sequence[Case],
    modes: Sequence[str],
    baselines: Sequence[Baseline] = (),
    progress: bool = True,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n, mode in enumerate(modes):
        for case in tqdm(cases, desc=f"eval {mode}", unit="case", disable=not progress):
            row = evaluate_case(client, case, mode)
            if n == 0 and baselines:
                evaluate_baselines(row, case, baselines, client)
            rows.append(row)
    return rows
