"""``python -m bench --scale 1000`` runs end to end (a smoke test: no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import synthetic
from ingest.loaders import read_document
from ingest.sentences import split_sentences
from service.language.text import words

ROOT = Path(__file__).resolve().parent.parent


def test_synthetic_articles_repeat_real_sentences(tmp_path: Path) -> None:
    pool = synthetic.sentence_pool()
    assert len(pool) > 1000
    written = synthetic.write_articles(tmp_path, 50, pool)
    texts = [p.read_text(encoding="utf-8") for p in sorted(tmp_path.glob("*.txt"))]
    assert len(texts) == 50 and written > 50 * 9
    used = [s for s in pool if any(s in t for t in texts)]
    assert len(used) < written  # fewer distinct sentences than sentences written: repeats


def test_distinct_synthetic_articles_repeat_no_sentence(tmp_path: Path) -> None:
    """Split as the ingester splits them, the marked articles' sentences differ: nearly all
    end in a mark (two mark words) and are no pool sentence, and they do not repeat (the
    splitter, reading pool sentences side by side, sometimes joins two or cuts a fragment
    such as "25." off). Two serials never share a mark."""
    pool = synthetic.sentence_pool()
    written = synthetic.write_articles(tmp_path, 50, pool, distinct=True)
    found = []
    for page in sorted(tmp_path.glob("*.txt")):
        text, doc = read_document(page.name, page.read_bytes())
        found += [s.text for s in split_sentences(text, doc.prose)]
    vocabulary = synthetic._mark_words(pool)
    marks, known = set(vocabulary), set(pool)
    marked = [s for s in found if s not in known and set(words(s)[-2:]) <= marks]
    assert len(set(marked)) == len(marked) >= 0.95 * len(found)
    assert len(set(found)) >= 0.99 * len(found) and written > 50 * 9

    sentence = "The harbour reopened on Monday."
    assert synthetic._marked(sentence, 0, vocabulary) == (
        f"The harbour reopened on Monday {vocabulary[0]} {vocabulary[0]}."
    )
    size = len(vocabulary)
    serials = [1, size - 1, size, size + 1, 2 * size, size * size - 1]
    assert len({synthetic._marked(sentence, n, vocabulary) for n in serials}) == len(serials)
    with pytest.raises(ValueError):
        synthetic._marked(sentence, size * size, vocabulary)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_scale_bench_smoke_1k() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "1000", "--requests", "32"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3500,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sentences REPEAT" in done.stdout
    record = json.loads((ROOT / "bench" / "results" / "scale.json").read_text())
    (run,) = record["runs"]
    assert run["articles"] == 1000
    cold, warm = run["ingest_cold"], run["ingest_warm"]
    assert cold["sentences"] == warm["sentences"] > 10_000
    assert cold["embedded"] > 0 and warm["embedded"] == 0  # the warm run embeds nothing
    assert all(level["errors"] == 0 for level in run["throughput"])
    assert run["size"]["chroma_mb"] > 0 and run["rss_mb"] > 0
    assert run["ready_s"] > 0 and run["restart_ready_s"] > 0
    # The real pages, cold: nearly every sentence is embedded (they hardly repeat).
    pages = record["pages_cold"]
    assert pages["pages"] > 50 and pages["sentences"] > 1000
    assert pages["from_cache"] < pages["embedded"] and "benchmark pages, cold" in done.stdout
