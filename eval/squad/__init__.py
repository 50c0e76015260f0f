"""SQuAD 2.0 in sentence-citation form: documents, cases and the SQuAD answer check.

Each article of ``../shared/benchmarks/squad2-dev-part-a.json`` becomes one text document
(title line, then its paragraphs, a blank line apart), indexed by the project's own
ingester. Each question becomes a :class:`~eval.cases.Case`: a has-answer question's gold
sentences are the indexed sentences that overlap a gold answer span (character offsets:
the ingester keeps each sentence's span in the file), one acceptable set per sentence; a
no-answer question is an unanswerable case. The split into tuning and held-out articles is
fixed in ``split.txt`` beside this file.

Scoring follows the issue's definition: a has-answer question is right when the service
answers and one cited sentence contains a gold answer under SQuAD's answer normalisation
(lower case, punctuation and articles removed, white space collapsed); a no-answer
question is right when the service refuses.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.cases import BENCHMARKS_DIR, Case, GoldSentence

SQUAD_FILE = BENCHMARKS_DIR / "squad2-dev-part-a.json"
SPLIT_FILE = Path(__file__).resolve().parent / "split.txt"
PARTS = ("squad-tuning", "squad-holdout")
# Questions per half in the default (CI-sized) run; --squad-full asks every question.
DEFAULT_SAMPLE = 300
SAMPLE_SEED = 1


@dataclass(frozen=True)
class Article:
    title: str
    source: str  # the document's file name
    text: str  # what is written to the file
    paragraph_starts: list[int]  # character offset of each paragraph in ``text``
    part: str
    qas: list[list[dict[str, Any]]]  # per paragraph, SQuAD's question records


def read_split(path: Path = SPLIT_FILE) -> dict[str, str]:
    """Article title -> "squad-tuning" or "squad-holdout"."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            title, half = line.split()
            out[title] = f"squad-{half}"
    return out


def load_articles(path: Path = SQUAD_FILE, split: dict[str, str] | None = None) -> list[Article]:
    split = split if split is not None else read_split()
    data = json.loads(path.read_text(encoding="utf-8"))
    articles = []
    for n, art in enumerate(data["data"]):
        title = art["title"]
        if title not in split:
            raise ValueError(f"SQuAD article {title!r} is not in {SPLIT_FILE.name}")
        text = title.replace("_", " ")
        starts = []
        for para in art["paragraphs"]:
            text += "\n\n"
            starts.append(len(text))
            text += para["context"]
        articles.append(
            Article(
                title=title,
                source=f"squad_{n:02d}_{title}.txt",
                text=text + "\n",
                paragraph_starts=starts,
                part=split[title],
                qas=[para["qas"] for para in art["paragraphs"]],
            )
        )
    return articles


def write_documents(articles: Sequence[Article], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for art in articles:
        path = folder / art.source
        path.write_text(art.text, encoding="utf-8")
        paths.append(path)
    return paths


Span = tuple[int, int, int, str]  # sentence number, start, end (offsets in the file), text


def build_cases(
    articles: Sequence[Article],
    spans: dict[str, list[Span]],
    sample: int | None = DEFAULT_SAMPLE,
    seed: int = SAMPLE_SEED,
) -> tuple[list[Case], int]:
    """Cases for every question (or ``sample`` per half, drawn with ``seed``), and how many
    has-answer questions were left out because no indexed sentence holds their answer."""
    by_part: dict[str, list[Case]] = {p: [] for p in PARTS}
    lost = 0
    for art in articles:
        sentences = spans[art.source]
        for start, qas in zip(art.paragraph_starts, art.qas, strict=True):
            for qa in qas:
                case: Case | None
                if qa.get("is_impossible"):
                    case = Case.model_validate(
                        {"id": qa["id"], "question": qa["question"], "answerable": False}
                    )
                else:
                    case = _answerable(qa, art.source, start, sentences)
                if case is None:
                    lost += 1
                    continue
                case.part = art.part
                by_part[art.part].append(case)
    cases: list[Case] = []
    rng = random.Random(seed)
    for part in PARTS:
        pool = by_part[part]
        cases += pool if sample is None or sample >= len(pool) else rng.sample(pool, sample)
    return cases, lost


def _answerable(
    qa: dict[str, Any], source: str, paragraph_start: int, sentences: list[Span]
) -> Case | None:
    texts = list(dict.fromkeys(a["text"] for a in qa["answers"] if a["text"].strip()))
    keys: dict[int, str] = {}
    for a in qa["answers"]:
        begin = paragraph_start + int(a["answer_start"])
        end = begin + len(a["text"])
        for number, s_start, s_end, text in sentences:
            if s_start < end and begin < s_end:
                keys.setdefault(number, text)
    if not keys or not texts:
        return None
    return Case.model_validate(
        {
            "id": qa["id"],
            "question": qa["question"],
            "answerable": True,
            "answers": [texts],
            "evidence": [
                [GoldSentence(source=source, sentence=n, quote=t)] for n, t in keys.items()
            ],
        }
    )


_PUNCT = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def squad_normalise(text: str) -> str:
    """SQuAD's ``normalize_answer``: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def holds_answer(sentence: str, answers: Sequence[str]) -> bool:
    """A gold answer is in the sentence, both normalised (plain containment, as the issue
    defines it: "Rollo" is in "Rollo's", which normalises to "rollos")."""
    norm = squad_normalise(sentence)
    return any(n and n in norm for a in answers if (n := squad_normalise(a)))


def squad_metrics(rows: Sequence[dict[str, Any]], cases: dict[str, Case]) -> dict[str, Any]:
    """has-answer / no-answer accuracy and citations per answer over service rows."""
    has, no, cites = [], [], []
    for row in rows:
        case = cases[row["id"]]
        refused = bool(row.get("refused")) or row.get("status") != 200
        citations = row.get("citations") or []
        if not refused:
            cites.append(len(citations))
        if case.answerable:
            answers = case.answers[0]
            has.append(
                not refused
                and any(holds_answer(str(c.get("text", "")), answers) for c in citations)
            )
        else:
            no.append(refused)
    return {
        "has_answer_acc": sum(has) / len(has) if has else None,
        "no_answer_acc": sum(no) / len(no) if no else None,
        "citations_per_answer": sum(cites) / len(cites) if cites else None,
        "n_has_answer": len(has),
        "n_no_answer": len(no),
    }
