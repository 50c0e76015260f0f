"""The layers of docs/architecture.md, checked on the source: no cycles, no upward imports.

Every ``import`` counts, also those inside functions and under ``TYPE_CHECKING``: a lazy
import hides a dependency from the reader, it does not remove it. The graph is read with
``ast`` from the files themselves, so the check needs nothing installed and cannot miss a
module that no test happens to import.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("service", "ingest", "eval", "bench")

# Ground up; a module may import from its own layer and from any layer below it.
# The first matching prefix decides (longest prefixes first within one layer is not needed:
# no prefix of one layer is a prefix of another's).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("settings", ("service.settings",)),
    ("language", ("service.language",)),
    ("components", ("service.components",)),
    ("index", ("service.index", "ingest")),
    ("retrieval", ("service.retrieval",)),
    ("answering", ("service.answering",)),
    ("ask", ("service.ask.ask_service", "service.container", "service.errors")),
    (
        "routers",
        (
            "service.ask",
            "service.deps",
            "service.documents",
            "service.feeds",
            "service.sources",
            "service.stories",
            "service.health",
            "service.observability",
            "service.openai_compat",
            "service.widget",
            "service.auth",
            "service.ratelimit",
            "service.middleware",
            "service.edge",
            "service.paths",
            "service.protection",
            "service.openapi_schema",
        ),
    ),
    (
        "app",
        ("service.app", "service.__main__", "service.server", "service.config_table", "service"),
    ),
    ("tools", ("eval", "bench")),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules that ``name`` imports (``from a import b`` counts b if it is a module)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for target in targets:
            # The longest project module the target names (a.b.func -> a.b).
            parts = target.split(".")
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in modules:
                    if candidate != name:
                        found.add(candidate)
                    break
    # "from a.b import c" adds both a.b.c (if a module) and a.b; keep the package only
    # when nothing below it was named.
    return found


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def layer_of(module: str) -> int:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{module}: in no layer of tests/test_architecture.py")


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_every_module_has_a_layer() -> None:
    for module in project_modules():
        layer_of(module)


def test_no_import_cycles() -> None:
    assert find_cycles(graph()) == []


def test_no_upward_imports() -> None:
    upward = [
        f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
        for a, targets in sorted(graph().items())
        for b in sorted(targets)
        if layer_of(b) > layer_of(a) and b != "service"
    ]
    assert upward == []


def test_the_checks_see_a_cycle_and_an_upward_import() -> None:
    """The checks themselves can fail: a made-up graph with both faults is caught."""
    edges = {"service.language.x": {"service.answering.y"}, "service.answering.y": set()}
    assert layer_of("service.answering.y") > layer_of("service.language.x")
    edges["service.answering.y"] = {"service.language.x"}
    assert find_cycles(edges) == [["service.answering.y", "service.language.x"]]
