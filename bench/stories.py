"""``python -m bench.stories``: story clusters, measured (issue 26 §1).

Four figures, printed with the commit and the date:

- **tuning**: Jaccard similarities of documents' sentence-text sets for copies built from
  the HTML benchmark's pages (a verbatim copy on another site, a copy with a site's own
  two lines added, edited updates with 10-50 % of their sentences rewritten and two
  added) against those of different pages; the threshold ``stories.threshold`` is chosen
  on these (never on the seed articles), and the sweep shows what others would do;
- **hand-made archive** (the pages, and for every fourth page its copy, its chrome copy and
  its 30 % update: the right clustering is known): clusters' purity and completeness;
- **synthetic archive** (``bench.synthetic``: every article draws its sentences at random
  from one pool of ~3.7k, so sentences repeat across articles on purpose, but no two
  articles are copies): the cluster count at N articles, and the clustering's time;
- ``--ingest N``: ``python -m ingest`` of N synthetic articles into an empty index, with
  stories on and off (the embedding cache warm in both, so the figure is not the model's),
  alternating, best of ``--rounds``.

Documents' key sets are read as the ingester reads them (``ingest.parse``: extraction,
cleaning, splitting; the key of each stored sentence text) without embedding them; the
synthetic archive's sentences are taken from its generator (the splitter cuts the written
text back into the pool's sentences but for a short fragment now and then, < 1 %).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from bench import synthetic
from bench.scale import timed_ingest
from ingest.parse import ParsedDocument, parse_document
from service.index.store import DocumentEntry, key_number, text_key
from service.index.stories import Stories, StoryRule, jaccard
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLES = ROOT / "data" / "articles"
EDITS = (0.1, 0.2, 0.3, 0.4, 0.5)
CHROME = ["Sign up for our morning newsletter.", "Follow us on social media for more stories."]


def keys(sentences: list[str]) -> np.ndarray:
    return np.unique(np.array([key_number(text_key(s)) for s in sentences], dtype=np.uint64))


def page_sentences(pages: Path = synthetic.PAGES, least: int = 8) -> dict[str, list[str]]:
    """Each benchmark page's stored sentence texts (pages with at least ``least``)."""
    settings = Settings()
    out: dict[str, list[str]] = {}
    for page in sorted(pages.glob("*.htm*")):
        parsed = parse_document(
            page.name, page.read_bytes(), [".html", ".htm"], settings.ingest.max_document_bytes
        )
        if isinstance(parsed, ParsedDocument) and len(parsed.sentences) >= least:
            out[page.name] = [s.text for s in parsed.sentences]
    return out


def rewritten(sentence: str) -> str:
    """An edited sentence: a clause added before its closing punctuation."""
    body = sentence.rstrip(".!?\"”'")
    return f"{body}, officials said on Tuesday{sentence[len(body) :]}"


def update(sentences: list[str], share: float, rng: random.Random) -> list[str]:
    """The article with ``share`` of its sentences rewritten and two sentences added."""
    edited = set(rng.sample(range(len(sentences)), round(share * len(sentences))))
    out = [rewritten(s) if i in edited else s for i, s in enumerate(sentences)]
    return [*out, "The story was updated with new details.", "More information will follow."]


def tuning(pages: dict[str, list[str]]) -> None:
    rng = random.Random(1)
    print("tuning: Jaccard of sentence-text sets (benchmark pages with >= 8 sentences)")
    page_keys = {p: keys(s) for p, s in pages.items()}
    names = sorted(page_keys)
    others = [
        jaccard(page_keys[a], page_keys[b]) for i, a in enumerate(names) for b in names[i + 1 :]
    ]
    print(
        f"  different pages: {len(others)} pairs, max {max(others):.3f}, "
        f"{sum(j > 0 for j in others)} pairs share any sentence"
    )
    rows = [("verbatim copy", lambda s: list(s)), ("copy + 2 chrome lines", lambda s: s + CHROME)]
    rows += [
        (f"update, {round(e * 100)} % rewritten", lambda s, e=e: update(s, e, rng)) for e in EDITS
    ]
    for label, make in rows:
        js = [jaccard(page_keys[p], keys(make(pages[p]))) for p in names]
        print(
            f"  {label:28s} min {min(js):.3f}  median {float(np.median(js)):.3f}  max {max(js):.3f}"
        )
    seed = seed_keys()
    pairs = [
        jaccard(seed[a], seed[b]) for i, a in enumerate(sorted(seed)) for b in sorted(seed)[i + 1 :]
    ]
    print(f"  (not for tuning) the 5 seed articles: max Jaccard of any two {max(pairs):.3f}")


def seed_keys() -> dict[str, np.ndarray]:
    settings = Settings()
    out = {}
    for path in sorted(SEED_ARTICLES.glob("*.txt")):
        parsed = parse_document(
            path.name, path.read_bytes(), [".txt"], settings.ingest.max_document_bytes
        )
        assert isinstance(parsed, ParsedDocument)
        out[path.name] = keys([s.text for s in parsed.sentences])
    return out


def entry(source: str, date: str | None = None) -> DocumentEntry:
    return DocumentEntry(source, "v1", "", None, date, 0, 0.0)


def hand_made_archive(
    pages: dict[str, list[str]],
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Every page, and for every fourth its copy, chrome copy and 30 % update: (key sets,
    the right story of each document)."""
    rng = random.Random(2)
    sets: dict[str, np.ndarray] = {}
    truth: dict[str, str] = {}
    for i, (page, sentences) in enumerate(sorted(pages.items())):
        sets[page], truth[page] = keys(sentences), page
        if i % 4 == 0:
            for kind, variant in (
                ("copy", sentences),
                ("chrome", sentences + CHROME),
                ("update", update(sentences, 0.3, rng)),
            ):
                sets[f"{kind}-{page}"], truth[f"{kind}-{page}"] = keys(variant), page
    return sets, truth


def scores(stories: Stories, truth: dict[str, str]) -> tuple[float, float]:
    """(purity, completeness) of the clusters against the right stories."""
    purity = completeness = 0
    for story in stories.by_id.values():
        purity += Counter(truth[m] for m in story.members).most_common(1)[0][1]
    for label in set(truth.values()):
        completeness += max(
            sum(truth[m] == label for m in story.members) for story in stories.by_id.values()
        )
    return purity / len(truth), completeness / len(truth)


def hand_made(pages: dict[str, list[str]], thresholds: list[float]) -> None:
    sets, truth = hand_made_archive(pages)
    documents = {s: entry(s) for s in sets}
    classes = Counter(truth.values())
    print(
        f"hand-made archive: {len(sets)} documents, {len(classes)} stories "
        f"({sum(c > 1 for c in classes.values())} of 4 documents)"
    )
    for threshold in thresholds:
        stories = Stories.build(documents, sets.__getitem__, StoryRule(threshold=threshold))
        purity, completeness = scores(stories, truth)
        print(
            f"  threshold {threshold:.2f}: {len(stories.by_id)} clusters, purity "
            f"{purity:.3f}, completeness {completeness:.3f}"
        )


def synthetic_archive(sizes: list[int], rule: StoryRule) -> None:
    pool = synthetic.sentence_pool()
    for n in sizes:
        sets = {
            synthetic.file_name(i): keys([s for p in paragraphs for s in p])
            for i, paragraphs in enumerate(synthetic.article_paragraphs(n, pool))
        }
        documents = {s: entry(s) for s in sets}
        started = time.perf_counter()
        stories = Stories.build(documents, sets.__getitem__, rule)
        seconds = time.perf_counter() - started
        sizes_seen = Counter(len(s.members) for s in stories.by_id.values())
        print(
            f"synthetic archive, {n} articles (pool of {len(pool)} sentences): "
            f"{len(stories.by_id)} clusters (sizes {dict(sorted(sizes_seen.items()))}), "
            f"clustering {seconds:.2f} s"
        )


def ingest(n: int, rounds: int) -> None:
    """``python -m ingest`` of ``n`` synthetic articles, stories on and off, cache warm."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "articles"
        synthetic.write_articles(folder, n, synthetic.sentence_pool())
        data = Path(tmp) / "data"
        env = {**os.environ, "NEWSQA_DATA__DIR": str(data)}
        run(folder, data, env)  # fills the caches (vectors, entity labels, splits)
        best: dict[str, float] = {}
        for _ in range(rounds):
            for enabled in ("false", "true"):
                seconds = run(folder, data, {**env, "NEWSQA_STORIES__ENABLED": enabled})
                best[enabled] = min(best.get(enabled, seconds), seconds)
                print(f"  ingest {n} articles, stories {enabled}: {seconds:.1f} s", flush=True)
    off, on = best["false"], best["true"]
    print(
        f"ingest of {n} articles (warm cache), best of {rounds}: stories off {off:.1f} s, "
        f"on {on:.1f} s ({(on / off - 1) * 100:+.1f} %)"
    )


def run(folder: Path, data: Path, env: dict[str, str]) -> float:
    """One ingest into an empty index (the cache file kept)."""
    for old in ("chroma", "snapshots"):
        shutil.rmtree(data / old, ignore_errors=True)
    return float(timed_ingest(folder, env)["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--ingest", type=int, default=0, help="also time python -m ingest")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    print(
        f"commit {commit}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    settings = Settings()
    rule = StoryRule(True, settings.stories.threshold, settings.stories.num_perm)
    print(f"stories.threshold {rule.threshold}, num_perm {rule.num_perm}")
    pages = page_sentences()
    tuning(pages)
    hand_made(pages, sorted({0.2, 0.3, 0.4, rule.threshold, 0.5, 0.6, 0.7}))
    synthetic_archive(args.synthetic, rule)
    if args.ingest:
        ingest(args.ingest, args.rounds)


if __name__ == "__main__":
    main()
