"""Relative links in README.md, docs/*.md and eval/README.md point at files that exist.

The README is the newcomer's way in and sends them to docs/ for everything else: a link
to a file that moved or was renamed is a dead end, so it fails here. Links to web pages
(http, https, mailto) and in-page anchors are not checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "eval" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def relative_links(text: str) -> list[str]:
    """Targets of Markdown links outside code blocks, without their #anchor."""
    text = FENCE.sub("", text)
    out = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        out.append(target.split("#", 1)[0])
    return out


def test_the_link_finder_skips_web_links_anchors_and_code() -> None:
    text = "[a](docs/x.md#h) [b](https://e.org) [c](#top)\n```\n[d](gone.md)\n```\n"
    assert relative_links(text) == ["docs/x.md"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    missing = [
        t
        for t in relative_links(doc.read_text(encoding="utf-8"))
        if t and not (doc.parent / t).exists()
    ]
    assert not missing, f"{doc.relative_to(ROOT)} links to missing files: {missing}"


def test_every_doc_is_reachable_from_the_readme() -> None:
    readme = set(relative_links((ROOT / "README.md").read_text(encoding="utf-8")))
    unlinked = [p.name for p in (ROOT / "docs").glob("*.md") if f"docs/{p.name}" not in readme]
    assert not unlinked, f"docs not linked from README.md: {unlinked}"


def test_the_readme_stays_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 210, f"README.md has {lines} lines: move detail into docs/"
