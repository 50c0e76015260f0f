"""One source for which paths are open, admin-only, rate-limited and probes.

Checks the lists in ``service.paths`` against the app's real routes (no stale entry, no
route forgotten), and that no other module keeps a path list of its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

from starlette.routing import Route

from service import paths
from service.app import create_app
from service.settings import Settings

SERVICE = Path(paths.__file__).resolve().parent


def routes(settings: Settings) -> dict[str, set[str]]:
    """Path → methods of every route (FastAPI 0.16x keeps included routers as wrappers)."""
    out: dict[str, set[str]] = {}
    for r in create_app(settings).routes:
        if isinstance(r, Route):
            out.setdefault(r.path, set()).update(r.methods or ())
        elif hasattr(r, "effective_candidates"):
            for ctx in r.effective_candidates():
                out.setdefault(ctx.path, set()).update(ctx.methods or ())
    assert "/ask" in out and "/documents" in out, "routes not found: FastAPI changed?"
    return out


def test_every_listed_path_is_a_route(scratch: Settings) -> None:
    known = routes(scratch)
    listed = paths.OPEN_PATHS | paths.RATE_LIMITED_PATHS | {paths.METRICS_PATH}
    assert listed - set(known) == set()
    for prefix in paths.ADMIN_PREFIXES:
        assert any(p == prefix or p.startswith(prefix + "/") for p in known), prefix


def test_every_route_has_one_access_and_unknown_paths_need_a_key(scratch: Settings) -> None:
    for path, methods in routes(scratch).items():
        access = paths.access_of(path, metrics_public=True)
        if "POST" in methods and not paths.is_admin_path(path):
            # Every POST outside the document API answers questions: it costs work.
            assert paths.is_rate_limited(path, "POST"), path
            assert access == "read", path
        if path.startswith("/documents"):
            assert access == "admin"
    assert paths.access_of("/a/route/added/later", metrics_public=True) == "read"
    assert paths.access_of("/metrics", metrics_public=False) == "admin"
    assert not paths.counts_toward_concurrency("/health")
    assert paths.body_limit("/documents", 10, 20) == 20 and paths.body_limit("/ask", 10, 20) == 10


def test_no_other_module_keeps_a_path_list(scratch: Settings) -> None:
    """Route paths appear as strings only in routers (their decorators) and in paths.py."""
    known = set(routes(scratch)) | set(paths.ADMIN_PREFIXES)
    offenders = []
    for file in SERVICE.rglob("*.py"):
        if file.name.endswith("_router.py") or file == Path(paths.__file__).resolve():
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in known:
                offenders.append(f"{file.relative_to(SERVICE)}:{node.lineno} {node.value!r}")
    assert offenders == []
