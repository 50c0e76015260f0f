"""The API contract, as a fuzzer sees it: schemathesis with all its checks, against the
real app under the real uvicorn configuration, on an index of its own (it may write).

Every operation of the OpenAPI schema gets positive (schema-valid) and negative cases;
a failure is any server error, any status or body the schema does not document, valid
data rejected or invalid data accepted.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import OperationConfig

from ingest.pipeline import Ingester
from service.app import create_app
from service.components.embeddings import Embedder
from service.index.store import IndexStore, make_client
from service.settings import Settings

from .support import CORPUS, LiveServer, base_settings, make_app

load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())
EXAMPLES = 40  # per operation and mode: about a thousand requests in all

# The schema the app serves; built at collection (schemathesis' lazy fixture loader does not
# work with pytest 9), and checked against a live server by the test below.
schema = schemathesis.openapi.from_dict(
    create_app(base_settings(Path(tempfile.gettempdir()) / "newsqa-contract-schema")).openapi()
)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
    deterministic=True,
)
# Rules a JSON schema cannot state, each documented on its operation: no `..` in a
# document name (400), an upload's type by its file name (415), an article with no text
# left after cleaning (422), a document over ingest.max_document_bytes (413); a
# conversation whose last turn is not the user's (422); a filter's date_to before its
# date_from (422).
BEYOND_THE_SCHEMA = {
    ("POST", "/ask"): ["2xx", "401", "403", "422", "429", "503"],
    ("POST", "/ask/stream"): ["2xx", "401", "403", "422", "429", "503"],
    ("POST", "/documents"): ["2xx", "400", "401", "403", "409", "413", "415", "422", "429", "503"],
    ("POST", "/v1/chat/completions"): ["2xx", "401", "403", "422", "429", "503"],
}
for (method, path), statuses in BEYOND_THE_SCHEMA.items():
    schema.config.operations.operations.append(
        OperationConfig.from_dict(
            {
                "include-name": f"{method} {path}",  # include-path + -method would be OR
                "checks": {"positive_data_acceptance": {"expected-statuses": statuses}},
            }
        )
    )


@pytest.fixture(scope="module")
def contract_server(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[LiveServer]:
    settings: Settings = base_settings(
        tmp_path_factory.mktemp("contract"), rate_limit={"enabled": False}
    )
    store = IndexStore(make_client(settings), settings.chroma.collection, embedder.name)
    Ingester(store, embedder, settings.ingest).ingest_paths(sorted(CORPUS.glob("*.txt")))
    with LiveServer(make_app(settings, embedder), settings) as server:
        yield server


def test_the_schema_is_the_one_served(contract_server: LiveServer) -> None:
    served = httpx.get(contract_server.url + "/openapi.json", timeout=10).json()
    assert served == schema.raw_schema


def test_all_checks_are_loaded() -> None:
    names = {getattr(c, "__name__", type(c).__name__) for c in ALL_CHECKS}
    assert {"not_a_server_error", "response_schema_conformance", "negative_data_rejection"} <= names


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_the_api_keeps_its_contract(case: schemathesis.Case, contract_server: LiveServer) -> None:
    case.call_and_validate(base_url=contract_server.url, checks=ALL_CHECKS, timeout=30)
