"""Which paths are open, admin-only, rate-limited, probes: the one list every layer reads.

The auth middleware, the rate limiter, the body limit, the concurrency limit and the
cross-site check each decide by path. They used to keep lists of their own, which drifted
(a new endpoint was rate-limited but not body-limited); now they all ask this module, and
``tests/test_paths.py`` checks every route of the app against it.
"""

from __future__ import annotations

from typing import Literal

# Open to anyone even when keys are configured: probes, the widget and its demo page, API docs.
PROBE_PATHS = frozenset({"/health", "/ready"})
OPEN_PATHS = PROBE_PATHS | frozenset(
    {"/widget.js", "/demo", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
# Open unless ``observability.metrics_public`` is off; then admin.
METRICS_PATH = "/metrics"
# Everything under these needs the admin scope (reading the manifest too: it is the
# operator's view), and writes under them are refused while no admin key exists unless the
# service listens on loopback only (service.guard).
ADMIN_PREFIXES = ("/documents",)
# The endpoints that answer questions: the expensive ones, limited per key or client IP.
RATE_LIMITED_PATHS = frozenset({"/ask", "/ask/stream", "/v1/chat/completions"})
# Methods that change state or cost work; browsers may send them cross-site (forms).
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Access = Literal["open", "read", "admin"]


def is_admin_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in ADMIN_PREFIXES)


def access_of(path: str, metrics_public: bool) -> Access:
    """What a caller needs for ``path`` when keys are configured."""
    if path in OPEN_PATHS:
        return "open"
    if path == METRICS_PATH:
        return "open" if metrics_public else "admin"
    if is_admin_path(path):
        return "admin"
    return "read"


def is_rate_limited(path: str, method: str) -> bool:
    return method == "POST" and path in RATE_LIMITED_PATHS


def is_admin_write(path: str, method: str) -> bool:
    """A request that adds, replaces or deletes documents."""
    return method in UNSAFE_METHODS and is_admin_path(path)


def counts_toward_concurrency(path: str) -> bool:
    """Probes are never turned away by the concurrency limit: an overloaded process is
    alive, and an orchestrator that restarted it for being busy would make things worse."""
    return path not in PROBE_PATHS


def is_quiet(path: str) -> bool:
    """Probes and scrapes: logged at DEBUG when they succeed (they would drown the rest)."""
    return path in PROBE_PATHS or path == METRICS_PATH


def body_limit(path: str, api_limit: int, documents_limit: int) -> int:
    """Largest request body for ``path``: documents have their own (larger) limit."""
    return documents_limit if is_admin_path(path) else api_limit
