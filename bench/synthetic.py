"""Synthetic news archives of any size, made of real prose.

The sentences come from the news and web pages of trafilatura's extraction benchmark
(``../shared/benchmarks/html-extraction/pages/``), read through the ingester's own
extraction, cleaning and sentence splitting. Each synthetic article draws paragraphs of
sentences from that pool at random (fixed seed), so **sentences repeat across articles**:
a cold ingest embeds each distinct sentence once and finds the repeats in the embedding
cache. ``bench.scale`` reports both figures, and the model's own throughput, separately.

With ``distinct=True`` each sentence written carries a number of its own ("(report 17-3)"
before its final punctuation), so that sentences do not repeat, as in a real archive
(but for a short fragment the splitter cuts off now and then, < 1 %): each is split,
embedded, tagged and written to Chroma as a vector of its own. The text stays the
pool's prose; the vectors of one pool sentence's variants lie close together.
"""

from __future__ import annotations

import random
from pathlib import Path

from eval.cases import BENCHMARKS_DIR
from ingest.loaders import read_document
from ingest.sentences import split_sentences
from service.language.text import STOPWORDS, words

ROOT = Path(__file__).resolve().parent.parent
PAGES = BENCHMARKS_DIR / "html-extraction" / "pages"


def sentence_pool(pages: Path = PAGES) -> list[str]:
    """Distinct prose sentences of 40-300 characters from the benchmark pages, sorted."""
    pool: set[str] = set()
    for page in sorted(pages.glob("*.htm*")):
        text, doc = read_document(page.name, page.read_bytes())
        for s in split_sentences(text, doc.prose):
            if 40 <= len(s.text) <= 300 and s.text[-1] in ".!?\"”'":
                pool.add(s.text)
    if not pool:
        raise SystemExit(f"no sentences found under {pages}")
    return sorted(pool)


def write_articles(
    folder: Path, n: int, pool: list[str], seed: int = 1, distinct: bool = False
) -> int:
    """``n`` articles of 3-6 paragraphs of 3-6 pool sentences each; returns sentences written.
    ``distinct``: each sentence numbered, so that none repeats (see the module's docstring)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        paragraphs = []
        for _ in range(rng.randint(3, 6)):
            picked = rng.sample(pool, rng.randint(3, 6))
            if distinct:
                picked = [_numbered(s, f"{i}-{total + k}") for k, s in enumerate(picked)]
            total += len(picked)
            paragraphs.append(" ".join(picked))
        title = f"Synthetic article {i:06d}"
        (folder / f"scale_{i:06d}.txt").write_text(
            title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8"
        )
    return total


def _numbered(sentence: str, number: str) -> str:
    """The sentence with "(report <number>)" before its closing punctuation and quotes."""
    body = sentence.rstrip(".!?\"”'")
    return f"{body} (report {number}){sentence[len(body) :]}"


def questions(pool: list[str], n: int, seed: int = 2) -> list[str]:
    """Questions about pool sentences: a few of a sentence's content words, asked."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        content = [w for w in words(rng.choice(pool)) if w.lower() not in STOPWORDS and len(w) > 3]
        if len(content) >= 3:
            out.append(f"What was said about {' '.join(content[:4])}?")
    return out
