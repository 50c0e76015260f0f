"""The public-benchmark plumbing: SQuAD documents, gold sentences and scoring; HTML scoring."""

from __future__ import annotations

from pathlib import Path

from eval.html_bench import Counts
from eval.squad import (
    PARTS,
    SQUAD_FILE,
    build_cases,
    holds_answer,
    load_articles,
    read_split,
    squad_metrics,
    squad_normalise,
)


def test_squad_normalisation_is_squads() -> None:
    assert squad_normalise("The  Norman conquest, of 1066!") == "norman conquest of 1066"
    assert holds_answer("In the 10th and 11th centuries, they...", ["10th and 11th centuries"])
    assert holds_answer("Rollo's men", ["Rollo"])  # contained once normalised
    assert not holds_answer("In 1066 they came.", ["1067"])


def test_split_is_by_article_and_covers_the_file() -> None:
    split = read_split()
    articles = load_articles()
    assert {a.title for a in articles} == set(split)
    assert {a.part for a in articles} == set(PARTS)
    assert len(articles) == 8 and SQUAD_FILE.is_file()
    for art in articles:  # paragraphs are where the offsets say they are
        first = art.qas[0][0]
        assert art.text.startswith(art.title.replace("_", " "))
        assert art.text[art.paragraph_starts[0] :].split("\n\n")[0]
        if not first.get("is_impossible"):
            a = first["answers"][0]
            start = art.paragraph_starts[0] + a["answer_start"]
            assert art.text[start : start + len(a["text"])] == a["text"]


def test_gold_sentences_overlap_the_answer_span() -> None:
    art = load_articles()[0]
    # Fake sentence spans: one per paragraph (numbered from 1), so the gold sentence of a
    # question is its paragraph's number.
    ends = [*art.paragraph_starts[1:], len(art.text)]
    spans = {
        art.source: [
            (n, s, e, art.text[s:e].strip())
            for n, (s, e) in enumerate(zip(art.paragraph_starts, ends, strict=True), 1)
        ]
    }
    cases, lost = build_cases([art], spans, sample=None)
    assert lost == 0
    answerable = [c for c in cases if c.answerable]
    assert answerable and len(cases) == sum(len(q) for q in art.qas)
    for case in answerable:
        number = case.evidence[0][0].sentence
        assert case.part == art.part
        assert holds_answer(spans[art.source][number - 1][3], case.answers[0]), case.id


def test_squad_metrics_count_refusals_and_cited_answers() -> None:
    art = load_articles()[0]
    spans = {art.source: [(1, 0, len(art.text), art.text)]}
    cases, _ = build_cases([art], spans, sample=None)
    has = next(c for c in cases if c.answerable)
    no = next(c for c in cases if not c.answerable)
    rows = [
        {"id": has.id, "status": 200, "refused": False, "citations": [{"text": "nothing"}]},
        {"id": no.id, "status": 200, "refused": True, "citations": []},
    ]
    by_id = {c.id: c for c in cases}
    m = squad_metrics(rows, by_id)
    assert m["has_answer_acc"] == 0.0 and m["no_answer_acc"] == 1.0
    rows[0]["citations"] = [{"text": f"x {has.answers[0][0]} y"}, {"text": "z"}]
    m = squad_metrics(rows, by_id)
    assert m["has_answer_acc"] == 1.0 and m["citations_per_answer"] == 2.0


def test_html_scoring_is_trafilaturas() -> None:
    counts = Counts()
    item = {"file": "x.html", "with": ["kept one", "lost one"], "without": ["chrome"]}
    counts.add("kept one and chrome", item)
    counts.add(None, {"file": "y.html", "with": ["a"], "without": ["b"]})
    assert (counts.tp, counts.fn, counts.fp, counts.tn) == (1, 2, 1, 1)
    assert counts.scores()["f1"] == 2 * 1 / (2 * 1 + 1 + 2)


def test_benchmark_files_are_beside_the_project() -> None:
    assert Path(SQUAD_FILE).parent.name == "benchmarks"
