"""The corroboration suite's data and scoring (eval/corroboration): every question's quote
is in its document, the written documents are built from their pages as specified, and
the scoring counts what it says on answers made up here (the suite itself runs in
`make eval`)."""

from __future__ import annotations

from pathlib import Path

from eval.corroboration import (
    CorroborationCase,
    Expect,
    build,
    check_cases,
    cluster_scores,
    document_sentences,
    judge,
    load_archive,
    load_cases,
    page_sentences,
    score,
)


def test_every_case_quotes_its_document_and_names_known_ones() -> None:
    cases = load_cases()
    assert len(cases) >= 30
    assert {c.half for c in cases} == {"tuning", "holdout"}
    assert len({c.id for c in cases}) == len(cases)
    assert check_cases(cases, load_archive()) == []
    assert sum(bool(c.expect.disputed) for c in cases) >= 5


def test_copies_and_updates_are_built_from_their_pages(tmp_path: Path) -> None:
    archive = load_archive()
    files, truth = build(tmp_path, archive)
    assert sorted(p.name for p in files) == sorted(d.source for d in archive.documents)
    specs = {d.source: d for d in archive.documents}
    update = specs["jamaica-gleaner-crash-update.html"]
    page = page_sentences("jamaica.gleaner.com-victims.html")
    written = document_sentences(update, archive)
    assert written[0] == update.edits[2]  # sentence 1 dropped, 2 rewritten
    assert page[2] in written and page[8] not in written
    copy = specs["gadget-digest-hamr.html"]
    assert document_sentences(copy, archive)[-2:] == archive.site_lines
    assert truth["gadget-digest-hamr.html"] == "pcmag.com.platters.html"
    assert truth["storage-review-sdk.html"] == "storage-review-sdk.html"  # its own story


def test_cluster_scores_count_documents_in_pure_and_complete_clusters() -> None:
    truth = {"a": "a", "a2": "a", "b": "b", "c": "c"}
    assert cluster_scores([{"a", "a2"}, {"b"}, {"c"}], truth) == (1.0, 1.0)
    purity, completeness = cluster_scores([{"a"}, {"a2", "b"}, {"c"}], truth)
    assert (purity, completeness) == (0.5, 0.5)  # a2 and b impure; a, a2 incomplete


def case(**expect: object) -> CorroborationCase:
    return CorroborationCase(
        id="x",
        question="q?",
        source="a",
        quote="forty ships",
        expect=Expect.model_validate(expect),
        half="tuning",
    )


def cite(source: str, text: str, clusters: int | None = None) -> dict[str, object]:
    out: dict[str, object] = {"source": source, "sentence": 1, "text": text}
    if clusters is not None:
        out["corroboration"] = {"clusters": clusters, "sites": clusters}
    return out


TRUTH = {"a": "a", "a2": "a", "b": "b"}


def test_judge_reads_original_first_folding_and_corroboration() -> None:
    good = {"citations": [cite("a", "Some forty ships left.", 1), cite("b", "Other news.")]}
    out = judge(case(original="a", clusters=1, disputed=False), good, TRUTH)
    assert out["answered"] and out["original_first"] and out["folded"]
    assert out["corroboration"] is True and out["disputed"] is False
    copies = {
        "citations": [cite("a2", "Some forty ships left."), cite("a", "Some forty ships left.")]
    }
    out = judge(case(original="a", clusters=1), copies, TRUTH)
    assert out["original_first"] is False and out["folded"] is False
    assert out["corroboration"] is False  # no corroboration field: not counted right
    assert judge(case(min_clusters=2), good, TRUTH)["corroboration"] is False
    refused = judge(case(original="a"), {"citations": []}, TRUTH)
    assert not refused["answered"] and refused["original_first"] is None


def test_disputed_recall_precision_and_sides() -> None:
    body = {"disputed": True, "citations": [cite("a2", "forty ships"), cite("b", "thirty ships")]}
    sides = judge(case(disputed=True, sides=["a", "b"]), body, TRUTH)
    one_side = judge(
        case(disputed=True, sides=["a", "b"]),
        {"disputed": True, "citations": [cite("a", "forty ships")]},
        TRUTH,
    )
    missed = judge(case(disputed=True, sides=["a", "b"]), {"citations": []}, TRUTH)
    false_alarm = judge(case(disputed=False), body, TRUTH)
    figures = score([sides, one_side, missed, false_alarm])
    assert figures["disputed recall"] == 2 / 3
    assert figures["disputed precision"] == 2 / 3
    assert figures["sides cited"] == 0.5
