"""Where the eval's reports go: one dated folder per day, and the committed summary.

``make eval`` (``python -m eval suites``) and ``make eval-home`` (``python -m eval run``)
write their reports into ``eval/reports/<YYYY-MM-DD>/`` only (git-ignored: run output,
one folder per day, a later run of the day replacing an earlier one's files). The
committed summary beside them (``eval/reports/suites.md``, ``suites.png``, ``latest.md``)
changes only when someone means it to: ``make eval-report`` (``python -m eval report``)
copies it from a dated folder, so that running the eval never leaves a diff to commit or
to revert, and a summary in git is always one a person chose to publish.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from eval.cases import EVAL_DIR

REPORTS_DIR = EVAL_DIR / "reports"
DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# file in a dated folder -> the committed file it publishes as
SUITES_FILES = {"suites.md": "suites.md", "suites.png": "suites.png"}
HOME_FILES = {"summary.md": "latest.md"}


def dated_dir(day: date, reports_dir: Path = REPORTS_DIR) -> Path:
    """The report folder of ``day``: ``<reports_dir>/<YYYY-MM-DD>``."""
    return reports_dir / day.isoformat()


def newest_dated_dir(reports_dir: Path = REPORTS_DIR) -> Path | None:
    """The latest dated report folder, or None when no eval has run here."""
    days = sorted(p for p in reports_dir.glob("*") if p.is_dir() and DATED.match(p.name))
    return days[-1] if days else None


def suites_markdown(head: dict[str, str], notes: list[str], table_md: str) -> str:
    """The suites report's Markdown (the same text in the dated folder and when published)."""
    text = (
        "# Suites side by side\n\nWritten by `make eval` (`python -m eval suites`) and "
        "published by `make eval-report`; columns are defined in `eval/suites_report.py`."
        "\n\n"
    )
    text += "".join(f"- {k}: {v}\n" for k, v in head.items())
    text += "".join(f"- note: {n}\n" for n in notes)
    return text + "\n" + table_md + "\n\n![suites](suites.png)\n"


def write_suites_report(
    out_dir: Path, text: str, table: list[dict[str, Any]], dump: dict[str, Any]
) -> Path:
    """suites.md, suites.png and suites.json into ``out_dir``, nothing else; the path of
    suites.md. ``dump["complete"]`` says whether every suite ran (only then publishable)."""
    from eval.suites_report import plot

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "suites.md").write_text(text, encoding="utf-8")
    plot(table, out_dir / "suites.png")
    (out_dir / "suites.json").write_text(json.dumps(dump, default=str, indent=1))
    return out_dir / "suites.md"


class NothingToPublish(Exception):
    """The folder holds no report that may become the committed summary."""


def publish(src: Path, reports_dir: Path = REPORTS_DIR) -> list[Path]:
    """Copy a dated folder's summaries over the committed ones; the files written.

    The suites table is published only from a run of every suite (a ``--corpus`` run
    would drop rows from the committed table); the home set's summary when the run wrote
    one (``python -m eval run`` on the default case files)."""
    written: list[Path] = []
    skipped: list[str] = []
    dump_file = src / "suites.json"
    if (src / "suites.md").exists():
        complete = dump_file.exists() and json.loads(dump_file.read_text()).get("complete")
        if complete:
            written += _copy(src, reports_dir, SUITES_FILES)
        else:
            skipped.append("suites.md is from a run of some suites only (--corpus)")
    written += _copy(src, reports_dir, HOME_FILES)
    if not written:
        why = "; ".join(skipped) or "no suites.md or summary.md (run `make eval` first)"
        raise NothingToPublish(f"{src}: {why}")
    return written


def _copy(src: Path, reports_dir: Path, files: dict[str, str]) -> list[Path]:
    out = []
    for name, published in files.items():
        if (src / name).exists():
            shutil.copyfile(src / name, reports_dir / published)
            out.append(reports_dir / published)
    return out
