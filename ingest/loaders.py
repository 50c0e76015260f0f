"""Read documents from disk or bytes into text, and check the names they are cited by."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.cleaning import CleanDocument, clean, from_blocks
from ingest.html import extract_html

SAFE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,199}$"  # also stated in the API schema
_SAFE_NAME = re.compile(SAFE_NAME_PATTERN)


class DocumentError(ValueError):
    """A document that cannot be indexed, with a reason a user can act on."""


def validate_source_name(name: str, suffixes: list[str]) -> str:
    """A source is a bare file name: no folders, no '..', a known suffix."""
    if "/" in name or "\\" in name or ".." in name or not _SAFE_NAME.match(name):
        raise DocumentError(
            f"invalid source name {name!r}: use a plain file name (letters, digits, '.', '_', "
            "'-', spaces), no folders and no '..'"
        )
    if Path(name).suffix.lower() not in suffixes:
        raise DocumentError(
            f"unsupported file type {Path(name).suffix or '(none)'!r} for {name!r}: "
            f"accepted are {', '.join(suffixes)}"
        )
    return name


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else Windows-1252, which never fails."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_document(name: str, data: bytes) -> tuple[str, CleanDocument]:
    """A document's text (what sentence offsets point into) and its cleaned prose.

    HTML goes through trafilatura (``ingest.html``): its main text only, one block per
    paragraph, as the page shows it, with the page's title, date, author and site. Plain
    text and Markdown go through the line rules of ``ingest.cleaning``.
    """
    if Path(name).suffix.lower() in {".html", ".htm"}:
        page = extract_html(data)
        text, doc = from_blocks(page.blocks)
        doc.title, doc.date, doc.byline, doc.site = page.title, page.date, page.author, page.site
        doc.url, doc.domain = page.url, page.domain
        doc.date_source = "html" if page.date else None
        return text, doc
    text = decode(data)
    if "\x00" in text:
        raise DocumentError(f"{name!r} looks binary (contains NUL bytes)")
    return text, clean(text)


def find_documents(paths: list[Path], suffixes: list[str]) -> list[Path]:
    """Files named directly, and files with a known suffix under folders, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in suffixes
            )
        elif path.is_file():
            found.append(path)
        else:
            raise DocumentError(f"no such file or folder: {path}")
    return found
