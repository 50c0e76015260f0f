"""Synthetic news archives of any size, made of real prose.

The sentences come from the news and web pages of trafilatura's extraction benchmark
(``../shared/benchmarks/html-extraction/pages/``), read through the ingester's own
extraction, cleaning and sentence splitting. Each synthetic article draws paragraphs of
sentences from that pool at random (fixed seed), so **sentences repeat across articles**:
a cold ingest embeds each distinct sentence once and finds the repeats in the embedding
cache. ``bench.scale`` reports both figures, and the model's own throughput, separately.

With ``distinct=True`` each sentence written carries a two-word mark of its own before
its final punctuation (two words of the pool's own vocabulary, picked by the sentence's
serial number: "... said on Tuesday harbour lantern."), so that sentences do not repeat,
as in a real archive (but for a short fragment the splitter cuts off now and then,
< 1 %): each is split, embedded, tagged and written to Chroma as a vector of its own.
Two words add ~2.5 tokens to a 26.6-token sentence; the mark it replaces, "(report
17-3)", added 9 (+34 % of the model's work per sentence, which made the distinct
figures a pessimistic bound). The text stays the pool's prose; the vectors of one pool
sentence's variants lie close together.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
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
    ``distinct``: each sentence marked, so that none repeats (see the module's docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i, paragraphs in enumerate(article_paragraphs(n, pool, seed, distinct)):
        total += sum(len(p) for p in paragraphs)
        # a date header line: the articles span 2024, a day each in turn
        day = FIRST_DAY + dt.timedelta(days=i % 366)
        title = f"date {day.isoformat()} Synthetic article {i:06d}"
        (folder / file_name(i)).write_text(
            title + "\n\n" + "\n\n".join(" ".join(p) for p in paragraphs) + "\n",
            encoding="utf-8",
        )
    return total


def article_paragraphs(
    n: int, pool: list[str], seed: int = 1, distinct: bool = False
) -> Iterator[list[list[str]]]:
    """The sentences of each of the ``n`` articles :func:`write_articles` writes, by
    paragraph (the same draws: ``bench.stories`` reads an archive's sentences without
    writing and splitting it)."""
    rng = random.Random(seed)
    vocabulary = _mark_words(pool) if distinct else []
    total = 0
    for _ in range(n):
        paragraphs = []
        for _ in range(rng.randint(3, 6)):
            picked = rng.sample(pool, rng.randint(3, 6))
            if distinct:
                picked = [_marked(s, total + k, vocabulary) for k, s in enumerate(picked)]
            total += len(picked)
            paragraphs.append(picked)
        yield paragraphs


FIRST_DAY = dt.date(2024, 1, 1)


def file_name(i: int) -> str:
    """The ``i``-th synthetic article's file name."""
    return f"scale_{i:06d}.txt"


def _mark_words(pool: list[str]) -> list[str]:
    """The pool's lower-case ASCII content words of 4-10 letters, sorted: thousands, so that two
    of them name every sentence of a 100k-article archive (~2M) apart."""
    found = {w for s in pool for w in words(s) if 4 <= len(w) <= 10 and w.isascii()}
    return sorted(w for w in found - STOPWORDS if w.isalpha() and w.islower())


def _marked(sentence: str, serial: int, vocabulary: list[str]) -> str:
    """The sentence with its serial number's two words before its closing punctuation."""
    size = len(vocabulary)
    if serial >= size * size:
        raise ValueError(f"{size} mark words name at most {size * size} sentences apart")
    body = sentence.rstrip(".!?\"”'")
    mark = f"{vocabulary[serial % size]} {vocabulary[serial // size]}"
    return f"{body} {mark}{sentence[len(body) :]}"


def questions(pool: list[str], n: int, seed: int = 2) -> list[str]:
    """Questions about pool sentences: a few of a sentence's content words, asked."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        content = [w for w in words(rng.choice(pool)) if w.lower() not in STOPWORDS and len(w) > 3]
        if len(content) >= 3:
            out.append(f"What was said about {' '.join(content[:4])}?")
    return out
