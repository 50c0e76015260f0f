"""The ``corroboration`` suite (issue 26): copies of one story counted once, originals cited
first, independent reports counted as such, and disagreements shown as disagreements.

The archive (``archive.json``, described in ``README.md`` beside it) is ten real pages of
trafilatura's HTML benchmark plus documents the project writes from them as test data:
copies re-published by other sites, later updates by the same site, and other outlets'
own reports that confirm or contradict a figure or a claim. The right story of every
document is known from how it was made, so the clusters the service builds are scored
against it; the questions (``tuning.jsonl``, ``holdout.jsonl``) say which document is
the original of the cited claim, how many independent stories carry it and whether the
archive disagrees on it.

Scored per half (:func:`score`), from what ``POST /ask`` and ``GET /stories`` return:

- **purity / completeness** of the clusters against the right stories;
- **answered**: the gold sentence's quote is in a citation;
- **original first**: of the answered questions whose claim has copies, the share whose
  citation of it names the original (the earliest-dated member carrying it);
- **copies folded**: answers with no two citations of one sentence text from one story;
- **corroboration**: the citation's ``corroboration.clusters`` is the expected count (or
  at least it, for claims other outlets report in their own words);
- **disputed recall / precision**: the response's ``disputed`` against the questions'
  labels; **sides cited**: of the disputed questions marked so, the share citing every
  side.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from eval.html_bench import BENCH_DIR

SUITE_DIR = Path(__file__).resolve().parent
ARCHIVE = SUITE_DIR / "archive.json"
HALVES = ("tuning", "holdout")
PAGES = BENCH_DIR / "pages"


class DocumentSpec(BaseModel):
    """One document of the archive: a real page, or one the project writes from a page."""

    model_config = ConfigDict(extra="forbid")

    source: str
    kind: Literal["page", "copy", "update", "report"]
    of: str | None = None  # the page a copy or update is made from
    url: str | None = None
    date: str | None = None
    title: str | None = None
    author: str | None = None
    chrome: bool = False  # the re-publishing site's own two lines at the end
    drop: list[int] = Field(default_factory=list)  # sentence numbers left out of a copy
    edits: dict[int, str] = Field(default_factory=dict)  # sentence number -> new text
    add: list[str] = Field(default_factory=list)
    sentences: list[str] = Field(default_factory=list)  # a report's own text

    @property
    def story(self) -> str:
        """The story it belongs to, known from how it was made."""
        return self.of or self.source


class Archive(BaseModel):
    model_config = ConfigDict(extra="forbid")

    about: str
    site_lines: list[str]
    documents: list[DocumentSpec]


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    original: str | None = None  # the source the citation of the claim must name
    clusters: int | None = None  # exact count of independent stories carrying the claim
    min_clusters: int | None = None
    disputed: bool | None = None  # None: not scored
    sides: list[str] = Field(default_factory=list)  # one source per side (any of its story)


class CorroborationCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    question: str
    source: str  # the gold sentence's document and a distinctive piece of its text
    quote: str = Field(min_length=4)
    expect: Expect
    half: str = Field("", exclude=True)


def load_archive(path: Path = ARCHIVE) -> Archive:
    return Archive.model_validate_json(path.read_text(encoding="utf-8"))


def load_cases(folder: Path = SUITE_DIR) -> list[CorroborationCase]:
    cases = []
    for half in HALVES:
        for line in (folder / f"{half}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = CorroborationCase.model_validate_json(line)
                case.half = half
                cases.append(case)
    return cases


def _page(spec: DocumentSpec, sentences: Sequence[str]) -> str:
    """An article page with the metadata trafilatura reads (canonical URL, date, author);
    one paragraph a sentence, so that the splitter finds the sentences it was given."""
    e = html.escape
    meta = [f"<title>{e(spec.title or '')}</title>"]
    if spec.url:
        meta.append(f'<link rel="canonical" href="{e(spec.url)}">')
        meta.append(f'<meta property="og:url" content="{e(spec.url)}">')
    if spec.author:
        meta.append(f'<meta name="author" content="{e(spec.author)}">')
    if spec.date:
        meta.append(f'<meta property="article:published_time" content="{spec.date}T09:00:00Z">')
    body = "".join(f"<p>{e(s)}</p>" for s in sentences)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{"".join(meta)}</head>'
        f"<body><main><article><h1>{e(spec.title or '')}</h1>{body}</article></main>"
        "</body></html>"
    )


def page_sentences(name: str) -> list[str]:
    """A benchmark page's sentences as the ingester stores them (extraction, cleaning,
    splitting: ``ingest.parse``), numbered from 1 by position."""
    from ingest.parse import ParsedDocument, parse_document
    from service.settings import Settings

    path = PAGES / name
    parsed = parse_document(
        name, path.read_bytes(), [".html", ".htm"], Settings().ingest.max_document_bytes
    )
    if not isinstance(parsed, ParsedDocument):
        raise ValueError(f"{path}: {parsed}")
    return [s.text for s in parsed.sentences]


def document_sentences(spec: DocumentSpec, archive: Archive) -> list[str]:
    """The sentences a written document carries."""
    if spec.kind == "report":
        return list(spec.sentences)
    if spec.of is None:
        raise ValueError(f"{spec.source}: a {spec.kind} names the page it is made from ('of')")
    out = [
        spec.edits.get(n, text)
        for n, text in enumerate(page_sentences(spec.of), start=1)
        if n not in spec.drop
    ]
    return out + spec.add + (archive.site_lines if spec.chrome else [])


def build(folder: Path, archive: Archive | None = None) -> tuple[list[Path], dict[str, str]]:
    """Write the archive's documents into ``folder``: (their files, source -> right story)."""
    archive = archive or load_archive()
    folder.mkdir(parents=True, exist_ok=True)
    files, truth = [], {}
    for spec in archive.documents:
        path = folder / spec.source
        if spec.kind == "page":
            path.write_bytes((PAGES / spec.source).read_bytes())
        else:
            path.write_text(_page(spec, document_sentences(spec, archive)), encoding="utf-8")
        files.append(path)
        truth[spec.source] = spec.story
    return files, truth


def cluster_scores(clusters: Iterable[set[str]], truth: dict[str, str]) -> tuple[float, float]:
    """(purity, completeness): documents whose cluster holds only their story's documents,
    and documents whose story's documents are all in their cluster."""
    stories: dict[str, set[str]] = defaultdict(set)
    for source, story in truth.items():
        stories[story].add(source)
    pure = complete = 0
    for members in clusters:
        for m in members:
            pure += all(truth[o] == truth[m] for o in members)
            complete += stories[truth[m]] <= members
    n = max(len(truth), 1)
    return pure / n, complete / n


def service_clusters(get_json: Any) -> list[set[str]]:
    """Every story of ``GET /stories`` (singletons too) with its members' sources."""
    out, offset = [], 0
    while True:
        page = get_json(f"/stories?limit=1000&offset={offset}&min_members=1")
        for story in page["stories"]:
            detail = get_json(f"/stories/{story['id']}")
            out.append({m["source"] for m in detail["members"]})
        offset += len(page["stories"])
        if not page["stories"] or offset >= page["total"]:
            return out


def _claim_citation(body: dict[str, Any], quote: str) -> dict[str, Any] | None:
    for c in body.get("citations") or []:
        if quote.lower() in str(c.get("text", "")).lower():
            return c
    return None


def judge(case: CorroborationCase, body: dict[str, Any], truth: dict[str, str]) -> dict[str, Any]:
    """One question's outcome (None: not applicable to it)."""
    citations = body.get("citations") or []
    claim = _claim_citation(body, case.quote)
    e = case.expect
    seen: set[tuple[str, str]] = set()
    folded = True
    for c in citations:
        key = (truth.get(c["source"], c["source"]), str(c.get("text", "")))
        folded &= key not in seen
        seen.add(key)
    corroboration = (claim or {}).get("corroboration") or {}
    count = corroboration.get("clusters") if isinstance(corroboration, dict) else None
    disputed = bool(body.get("disputed"))
    cited_stories = {truth.get(c["source"], c["source"]) for c in citations}
    return {
        "id": case.id,
        "half": case.half,
        "answered": claim is not None,
        "original_first": None
        if claim is None or e.original is None
        else claim["source"] == e.original,
        "folded": folded if citations else None,
        "corroboration": None
        if claim is None or (e.clusters is None and e.min_clusters is None)
        else isinstance(count, int)
        and (count == e.clusters if e.clusters is not None else count >= (e.min_clusters or 0)),
        "disputed": disputed,
        "expect_disputed": e.disputed,
        "sides_cited": None
        if not (disputed and e.disputed)
        else all(truth[s] in cited_stories for s in e.sides),
    }


def _share(values: Iterable[bool | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def score(outcomes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The figures of one half's outcomes."""
    labelled = [o for o in outcomes if o["expect_disputed"] is not None]
    flagged = [o for o in labelled if o["disputed"]]
    actual = [o for o in labelled if o["expect_disputed"]]
    hits = [o for o in flagged if o["expect_disputed"]]
    return {
        "questions": len(outcomes),
        "answered": _share(o["answered"] for o in outcomes),
        "original first": _share(o["original_first"] for o in outcomes),
        "copies folded": _share(o["folded"] for o in outcomes),
        "corroboration": _share(o["corroboration"] for o in outcomes),
        "disputed recall": len(hits) / len(actual) if actual else None,
        "disputed precision": len(hits) / len(flagged) if flagged else None,
        "sides cited": _share(o["sides_cited"] for o in outcomes),
    }


def run_corroboration(tmp: Path, progress: bool = True) -> dict[str, Any]:
    """Build the archive, index it in a fresh in-process service, ask every question."""
    from tqdm import tqdm

    from eval.client import InProcess, eval_settings

    files, truth = build(tmp / "corroboration-corpus")
    settings = eval_settings(tmp / "corroboration-data")
    settings.data.corpus_dir = files[0].parent
    cases = load_cases()
    with InProcess(settings) as local:
        clusters = service_clusters(local.client.get_json)
        outcomes = []
        for case in tqdm(cases, desc="eval corroboration", unit="case", disable=not progress):
            resp = local.client.http.post("/ask", json={"question": case.question})
            body = resp.json() if resp.status_code == 200 else {}
            outcomes.append({**judge(case, body, truth), "status": resp.status_code})
    purity, completeness = cluster_scores(clusters, truth)
    halves = {h: score([o for o in outcomes if o["half"] == h]) for h in HALVES}
    return {
        "documents": len(files),
        "stories": len(set(truth.values())),
        "clusters": len(clusters),
        "purity": purity,
        "completeness": completeness,
        "halves": halves,
        "outcomes": outcomes,
    }


def check_cases(cases: Sequence[CorroborationCase], archive: Archive) -> list[str]:
    """What is wrong with the cases: a quote not in its document, an unknown source."""
    specs = {d.source: d for d in archive.documents}
    problems = []
    for case in cases:
        named = [case.source, *case.expect.sides, *filter(None, [case.expect.original])]
        unknown = [s for s in named if s not in specs]
        if unknown:
            problems.append(f"{case.id}: unknown documents {unknown}")
            continue
        spec = specs[case.source]
        texts = (
            page_sentences(spec.source)
            if spec.kind == "page"
            else document_sentences(spec, archive)
        )
        if not any(case.quote.lower() in t.lower() for t in texts):
            problems.append(f"{case.id}: {case.quote!r} is in no sentence of {case.source}")
    return problems
