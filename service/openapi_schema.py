"""The OpenAPI schema as the service behaves: every error it can answer, in its real
shape, and the limits the settings put on requests.

FastAPI documents only 422, and with a body (``HTTPValidationError``) this service never
sends; the middlewares (auth, limits, guards) answer errors FastAPI cannot see. A fuzzer
(tests/deploy/test_contract.py) holds the service to its schema, so the schema is
completed here from the same rules the middlewares follow (``service.paths``): each
operation lists the errors that can reach it, all with the one error body of
``service.errors``. Limits that come from settings (question length, history size) are
written into the request schemas, so that a schema-valid request is a request the service
takes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from service.paths import PROBE_PATHS, UNSAFE_METHODS, access_of, is_rate_limited
from service.settings import Settings


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer (but ``/ready``'s own 503)."""

    error: str = Field(description="Machine code, e.g. `invalid_request`, `rate_limited`.")
    detail: str = Field(description="What was wrong, in words.")
    request_id: str | None = Field(description="Also in the `X-Request-ID` header.")


_REF = {"$ref": "#/components/schemas/ErrorBody"}
_RETRY = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
_WORDS = {
    400: "`bad_request`: the body could not be parsed (broken JSON or multipart)",
    401: "`unauthorized`: no or unknown API key (when keys are configured)",
    403: "`forbidden`: the key lacks the scope, or a keyless document write off loopback; "
    "`cross_site`: a state change sent by another site's page",
    404: "`not_found`: no such resource",
    408: "`request_timeout`: the body did not arrive in time",
    413: "`payload_too_large`: the body is over the limit",
    422: "`invalid_request`: a parameter or field is invalid (`detail` says which)",
    429: "`rate_limited`: too many requests; see `Retry-After`",
    503: "`overloaded`: too many requests in progress, or `index_unavailable`: the index "
    "(Chroma) does not answer; see `Retry-After`",
}


def errors_of(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer (middlewares' and FastAPI's)."""
    out = {413}  # any request may carry a body over the limit
    has_params = bool(operation.get("parameters"))
    has_body = "requestBody" in operation
    if path not in PROBE_PATHS:
        out.add(503)
    if access_of(path, metrics_public=False) != "open":
        out |= {401, 403}
    if method.upper() in UNSAFE_METHODS:
        out |= {403, 408}
    if has_body:
        out |= {400, 408, 422}
    if has_params:
        out.add(422)
    if "{" in path:
        out.add(404)
    if is_rate_limited(path, method.upper()):
        out.add(429)
    return out


def request_limits(settings: Settings) -> dict[tuple[str, str], dict[str, Any]]:
    """(component, property) → the JSON-schema constraints the ask service enforces."""
    answer = settings.answer
    modes = ["extractive", "llm"] if settings.llm.configured else ["extractive"]
    return {
        ("AskRequest", "mode"): {"anyOf": [{"enum": modes, "type": "string"}, {"type": "null"}]},
        ("AskRequest", "question"): {
            "minLength": 1,
            "maxLength": answer.max_question_chars,
            "pattern": r"\S",  # not blank
        },
        ("AskRequest", "history"): {"maxItems": answer.max_history_turns},
        ("Message", "content"): {"maxLength": answer.max_history_chars},
    }


def complete_schema(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for (component, prop), limits in request_limits(settings).items():
        components[component]["properties"][prop].update(limits)
    components["ErrorBody"] = ErrorBody.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for status in sorted(errors_of(path, method, operation)):
                given = responses.get(str(status), {})
                if path in PROBE_PATHS and str(status) in responses:
                    continue  # /ready documents its own 503 body
                responses[str(status)] = {
                    "description": (status != 422 and given.get("description")) or _WORDS[status],
                    "content": {"application/json": {"schema": _REF}},
                    **({"headers": _RETRY} if status in (429, 503) else {}),
                }
    return schema


def install_openapi(app: FastAPI, settings: Settings) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_schema(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                ),
                settings,
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
