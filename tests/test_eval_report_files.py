"""Where the eval writes: ``make eval`` into eval/reports/<date>/ only, and the committed
summary (eval/reports/suites.md, suites.png, latest.md) only through ``make eval-report``.

The suites themselves are replaced by a stand-in (running them takes minutes); what runs
for real is the command line, the report writer and the publisher."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval import cli, report_files

COMMITTED = "the committed summary, untouched\n"
TABLE = [{"suite": "stand-in suite", "questions": 2, "hit@5": 1.0, "right": 0.5}]


def _fake_suites(opts: Any) -> dict[str, Any]:
    run = {"baselines": [], "notes": ["stand-in"], "index": {}, "seconds": 0.1, "rows": []}
    return {"corpora": {c: run for c in opts.corpora if c != "html"}, "html": None}


@pytest.fixture
def reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A reports folder holding a committed summary, with the suites stubbed out."""
    import eval.suites
    import eval.suites_report

    folder = tmp_path / "reports"
    folder.mkdir()
    for name in ("suites.md", "latest.md"):
        (folder / name).write_text(COMMITTED)
    monkeypatch.setattr(report_files, "REPORTS_DIR", folder)
    monkeypatch.setattr(eval.suites, "run_suites", _fake_suites)
    monkeypatch.setattr(eval.suites_report, "summary", lambda results: TABLE)
    return folder


def _untouched(folder: Path) -> None:
    assert (folder / "suites.md").read_text() == COMMITTED
    assert (folder / "latest.md").read_text() == COMMITTED
    assert not (folder / "suites.png").exists()


def test_dated_dir_is_the_day_in_iso_form(tmp_path: Path) -> None:
    from datetime import date

    assert report_files.dated_dir(date(2026, 12, 8), tmp_path) == tmp_path / "2026-12-08"
    assert Path(cli.__file__).parent / "reports" == report_files.REPORTS_DIR


def test_dated_folders_are_ignored_by_git_and_the_summary_is_not() -> None:
    import subprocess

    root = report_files.REPORTS_DIR.parent.parent

    def ignored(path: str) -> bool:
        cmd = ["git", "check-ignore", "-q", "--no-index", path]
        return subprocess.run(cmd, cwd=root, check=False).returncode == 0

    assert ignored("eval/reports/2026-12-08/suites.md")
    assert not ignored("eval/reports/suites.md")
    assert not ignored("eval/reports/latest.md")


def test_make_eval_writes_the_dated_folder_and_no_committed_file(reports: Path) -> None:
    assert cli.main(["suites", "--date", "2026-12-08", "--quiet", "--no-baselines"]) == 0
    day = reports / "2026-12-08"
    assert sorted(p.name for p in day.iterdir()) == ["suites.json", "suites.md", "suites.png"]
    assert "| stand-in suite | 2 |" in (day / "suites.md").read_text()
    assert json.loads((day / "suites.json").read_text())["complete"] is True
    _untouched(reports)
    assert sorted(p.name for p in reports.iterdir()) == ["2026-12-08", "latest.md", "suites.md"]


def test_without_a_date_the_folder_is_today(reports: Path) -> None:
    from datetime import date

    before = date.today().isoformat()
    assert cli.main(["suites", "--quiet", "--no-baselines"]) == 0
    made = [p.name for p in reports.iterdir() if p.is_dir()]
    assert made in ([before], [date.today().isoformat()])
    _untouched(reports)


def test_eval_report_publishes_the_newest_complete_run(reports: Path) -> None:
    cli.main(["suites", "--date", "2026-12-07", "--quiet"])
    cli.main(["suites", "--date", "2026-12-08", "--quiet"])
    (reports / "2026-12-08" / "summary.md").write_text("# Latest eval summary\n")
    assert report_files.newest_dated_dir(reports) == reports / "2026-12-08"
    assert cli.main(["report"]) == 0
    day = reports / "2026-12-08"
    assert (reports / "suites.md").read_text() == (day / "suites.md").read_text()
    assert (reports / "suites.png").read_bytes() == (day / "suites.png").read_bytes()
    assert (reports / "latest.md").read_text() == "# Latest eval summary\n"


def test_a_run_of_some_suites_is_not_published(reports: Path) -> None:
    cli.main(["suites", "--date", "2026-12-08", "--corpus", "news", "--quiet"])
    assert cli.main(["report", str(reports / "2026-12-08")]) == 1
    _untouched(reports)


def test_eval_report_without_any_run_fails_clearly(reports: Path) -> None:
    assert report_files.newest_dated_dir(reports) is None
    assert cli.main(["report"]) == 1
    _untouched(reports)


def test_floors_are_still_checked(reports: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A figure under eval/thresholds.toml's floor still fails make eval (the same limits)."""
    import eval.suites_report

    low = [{"suite": "news holdout", "questions": 2, "right": 0.0}]
    monkeypatch.setattr(eval.suites_report, "summary", lambda results: low)
    assert cli.main(["suites", "--date", "2026-12-08", "--corpus", "news", "--quiet"]) == 1
    _untouched(reports)
