"""The full configuration table (docs/configuration.md), generated from the settings tree.

    python -m service.config_table            # print the Markdown table
    python -m service.config_table --write    # refresh it in docs/configuration.md
    python -m service.config_table --check    # exit 1 if that table is out of date

The table is the single place where an operator reads which environment variables exist,
so it is derived from ``service.settings`` (field types, defaults, descriptions) rather
than written by hand; a test fails when docs/configuration.md and the settings tree
disagree. (The README keeps a short hand-written table of the most used settings; a test
checks that every variable it names is one of these.)
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from service.settings import PROJECT_ROOT, Settings

START = "<!-- config-table:start -->"
END = "<!-- config-table:end -->"
CONFIG_DOC = PROJECT_ROOT / "docs" / "configuration.md"
ENV_PREFIX = "NEWSQA_"
HEADING = """## Configuration

Every setting is an environment variable (prefix `NEWSQA_`, `__` between levels), also
read from a `.env` file and from a TOML file named by `NEWSQA_SETTINGS_FILE`. Lists are
given as JSON (`NEWSQA_SERVER__CORS_ORIGINS='["https://intranet.example"]'`)."""
NESTING = "__"


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def type_name(tp: Any) -> str:
    """A short, stable spelling of a field's type for the table."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        parts = [type_name(a) for a in args if a is not type(None)]
        name = " \\| ".join(parts)
        return f"{name} (optional)" if type(None) in args else name
    if origin in (list, tuple, set, frozenset):
        inner = ", ".join(type_name(a) for a in args if a is not Ellipsis)
        return f"list[{inner}]"
    if origin is dict:
        return f"dict[{', '.join(type_name(a) for a in args)}]"
    if tp is SecretStr:
        return "secret"
    if tp is Path:
        return "path"
    if isinstance(tp, type):
        return tp.__name__
    return str(tp)


def default_text(field: FieldInfo) -> str:
    """The default as an operator would write it; secrets are never shown."""
    if field.default is not PydanticUndefined:
        value = field.default
    elif field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    else:
        return "(required)"
    return _render(value)


def _render(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "(secret)"
    if isinstance(value, Path):
        try:  # relative to the project, so the table is the same on every machine
            return f"`{value.resolve().relative_to(PROJECT_ROOT)}`"
        except ValueError:
            return f"`{value}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, list | tuple):
        if not value:
            return "`[]`"
        if any(isinstance(v, SecretStr) for v in value):
            return "(secret)"
        return "`" + json.dumps([str(v) for v in value]) + "`"  # as the env var takes it
    return f"`{value}`"


def _escape(text: str) -> str:
    """Keep a description on one table row; ``<x>`` outside code spans is not HTML."""
    parts = text.replace("\n", " ").replace("|", "\\|").split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def rows(
    model: type[BaseModel] = Settings, prefix: str = ENV_PREFIX
) -> Iterator[tuple[str, str, str, str]]:
    """(env var, type, default, description) for every leaf field, in declaration order."""
    for name, field in model.model_fields.items():
        env = f"{prefix}{name.upper()}"
        if _is_model(field.annotation):
            yield from rows(field.annotation, env + NESTING)  # type: ignore[arg-type]
            continue
        description = _escape(field.description or "")
        yield env, type_name(field.annotation), default_text(field), description


def env_vars() -> set[str]:
    """Every environment variable the settings tree reads."""
    return {env for env, *_ in rows()}


def markdown() -> str:
    lines = [
        "| Environment variable | Type | Default | Description |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| `{env}` | {tp} | {default} | {desc} |" for env, tp, default, desc in rows()]
    return "\n".join(lines) + "\n"


def section(table: str) -> str:
    note = (
        "<!-- Generated by `python -m service.config_table --write` from service/settings.py; "
        "do not edit by hand. -->"
    )
    return f"{START}\n{note}\n\n{table}\n{END}"


def table_in(doc_text: str) -> str | None:
    """The table between the markers, or None when the markers are missing."""
    start, end = doc_text.find(START), doc_text.find(END)
    if start < 0 or end < start:
        return None
    inner = doc_text[start + len(START) : end].strip("\n")
    body = [line for line in inner.splitlines() if line.startswith("|")]
    return "\n".join(body) + "\n"


def refreshed(doc_text: str, table: str) -> str:
    """The document's text with the table replaced, or appended with its markers when absent."""
    start, end = doc_text.find(START), doc_text.find(END)
    if start >= 0 and end > start:
        return doc_text[:start] + section(table) + doc_text[end + len(END) :]
    body = doc_text.rstrip("\n")
    sep = "\n\n" if body else ""
    return f"{body}{sep}{HEADING}\n\n{section(table)}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.config_table")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="refresh the table in --file")
    group.add_argument("--check", action="store_true", help="exit 1 if --file's table is stale")
    parser.add_argument(
        "--file", type=Path, default=CONFIG_DOC, help="Markdown file holding the table"
    )
    args = parser.parse_args(argv)
    table = markdown()
    if args.write:
        text = args.file.read_text(encoding="utf-8") if args.file.exists() else ""
        args.file.write_text(refreshed(text, table), encoding="utf-8")
        return 0
    if args.check:
        text = args.file.read_text(encoding="utf-8") if args.file.exists() else ""
        if table_in(text) != table:
            print(f"{args.file}: configuration table is stale; run with --write", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
