"""``python -m eval html``: main-text extraction scored the way trafilatura scores it.

The benchmark is trafilatura's own (``evaldata.json``: for each page, snippets that must
be kept and boilerplate snippets that must be dropped; ``pages/``: the HTML files), kept in
``../shared/benchmarks/html-extraction``. Scoring follows trafilatura's evaluation script
(``tests/comparison_small.py`` in its repository): each extractor gets the page's raw
bytes; a must-keep snippet found (plain substring) in the output is a true positive, else
a false negative; a must-drop snippet found is a false positive, else a true negative; an
extractor that returns nothing gets every must-keep as a false negative. Counts are pooled
over all pages, then precision = tp/(tp+fp), recall = tp/(tp+fn),
F1 = 2tp/(2tp+fp+fn).

Extractors compared:

- ``newsqa``: what the project indexes: ``ingest.loaders.read_document`` then sentence
  splitting, the sentences of a block joined by a space and blocks by a newline. With
  ``--exact`` the ingester's embedding-based drop of unrelated closing teasers runs too
  (``Ingester.prepare``; loads the embedding model);
- ``trafilatura``: ``trafilatura.extract`` as its evaluation calls it (tables in, comments
  and formatting out);
- ``bs4``: ``BeautifulSoup(html, "lxml").get_text(strip=True)``, as in that script.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.cases import BENCHMARKS_DIR

BENCH_DIR = BENCHMARKS_DIR / "html-extraction"

Extractor = Callable[[bytes], str | None]


@dataclass
class Counts:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)  # "file: snippet" kept/dropped wrongly

    def add(self, result: str | None, item: dict[str, Any]) -> None:
        """trafilatura's ``evaluate_result``: plain substring tests on the output."""
        if not isinstance(result, str):
            self.fn += len(item["with"])
            self.tn += len(item["without"])
            self.misses += [f"{item['file']}: missing {w!r}" for w in item["with"]]
            return
        for snippet in item["with"]:
            if snippet in result:
                self.tp += 1
            else:
                self.fn += 1
                self.misses.append(f"{item['file']}: missing {snippet!r}")
        for snippet in item["without"]:
            if snippet in result:
                self.fp += 1
                self.misses.append(f"{item['file']}: kept boilerplate {snippet!r}")
            else:
                self.tn += 1

    def scores(self) -> dict[str, float]:
        tp, fn, fp = self.tp, self.fn, self.fp
        return {
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0,
            "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        }


def newsqa_extractor(exact: bool = False) -> Extractor:
    """The project's own extraction, as the index would hold it."""
    from ingest.loaders import read_document
    from ingest.sentences import Sentence, split_sentences

    prepare: Callable[[str, bytes], list[Sentence]]
    if exact:
        from ingest.pipeline import Ingester
        from service.components.embeddings import make_embedder
        from service.settings import Settings

        settings = Settings()
        embedder = make_embedder(settings.embedding, settings.llm)
        ingester = Ingester(None, embedder, settings.ingest)  # type: ignore[arg-type]

        def prepare(name: str, data: bytes) -> list[Sentence]:
            return ingester.prepare(name, data).sentences
    else:

        def prepare(name: str, data: bytes) -> list[Sentence]:
            text, doc = read_document(name, data)
            return split_sentences(text, doc.prose)

    def run(data: bytes) -> str | None:
        try:
            sentences = prepare("page.html", data)
        except ValueError:  # DocumentError: nothing left to index
            return None
        blocks: dict[int, list[str]] = {}
        for s in sentences:
            blocks.setdefault(s.paragraph, []).append(s.text)
        return "\n".join(" ".join(b) for b in blocks.values())

    return run


def trafilatura_extractor(data: bytes) -> str | None:
    import trafilatura

    result = trafilatura.extract(
        data, include_comments=False, include_tables=True, include_formatting=False
    )
    return str(result) if result is not None else None


def bs4_extractor(data: bytes) -> str | None:
    from bs4 import BeautifulSoup

    return str(BeautifulSoup(data, "lxml").get_text(strip=True))


def load_benchmark(bench_dir: Path = BENCH_DIR) -> list[tuple[dict[str, Any], bytes]]:
    """(item, page bytes) for every page of ``evaldata.json`` whose file is present."""
    items = json.loads((bench_dir / "evaldata.json").read_text(encoding="utf-8"))
    out = []
    for item in items.values():
        path = bench_dir / "pages" / item["file"]
        if item.get("file") and path.is_file():
            out.append((item, path.read_bytes()))
    return out


def run_html_benchmark(bench_dir: Path = BENCH_DIR, exact: bool = False) -> dict[str, Any]:
    """Scores of every extractor on the benchmark (``pages`` counts the pages used)."""
    pages = load_benchmark(bench_dir)
    if not pages:
        raise FileNotFoundError(f"no benchmark pages under {bench_dir}")
    extractors: dict[str, Extractor] = {
        "newsqa": newsqa_extractor(exact),
        "trafilatura": trafilatura_extractor,
        "bs4": bs4_extractor,
    }
    results: dict[str, Any] = {"pages": len(pages), "exact": exact, "extractors": {}}
    for name, extract in extractors.items():
        counts = Counts()
        for item, data in pages:
            started = time.perf_counter()
            result = extract(data)
            counts.seconds += time.perf_counter() - started
            counts.add(result, item)
        results["extractors"][name] = {
            **{k: round(v, 4) for k, v in counts.scores().items()},
            "tp": counts.tp,
            "fn": counts.fn,
            "fp": counts.fp,
            "tn": counts.tn,
            "seconds": round(counts.seconds, 2),
            "misses": counts.misses,
        }
    return results


def html_table(results: dict[str, Any]) -> str:
    lines = [
        f"HTML main-text extraction, {results['pages']} pages (trafilatura's benchmark)",
        "",
        "| extractor | precision | recall | F1 | tp | fn | fp | tn | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["extractors"].items():
        lines.append(
            f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | "
            f"{r['tp']} | {r['fn']} | {r['fp']} | {r['tn']} | {r['seconds']:.1f} |"
        )
    return "\n".join(lines)
