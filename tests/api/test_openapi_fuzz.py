"""Schemathesis fuzzes every operation of the OpenAPI schema over the ASGI app: no 5xx.

Cases valid by the schema (positive) and invalid ones (negative) alike must get
a documented answer, never a server error; responses must match the documented
status codes, content types and schemas. Examples are bounded to keep it quick.

Why Hypothesis ``@given`` over ``operation.as_strategy()`` rather than
``schemathesis.pytest.from_fixture``: the lazy fixture loader of schemathesis
4.32 breaks on pytest 9 (it writes ``node._nodeid``), and the app needs the
session's tiny model fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from stancewire.api.server import create_app
from stancewire.api.settings import Settings
from stancewire.models.pipeline import load_pipeline

OPERATIONS = [
    ("POST", "/v1/label"),
    ("POST", "/v1/label/batch"),
    ("POST", "/v1/classify"),
    ("GET", "/v1/targets"),
    ("GET", "/v1/model"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/report"),
    ("GET", "/"),
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(tiny_model_dir: Path) -> schemathesis.BaseSchema:
    # Small limits, so that generated inputs also reach the 413 paths.
    app = create_app(
        Settings(
            model_dir=tiny_model_dir,
            report_path=Path("/nonexistent"),
            max_article_chars=2000,
            max_batch_items=4,
            max_classify_items=4,
        ),
        load_pipeline(tiny_model_dir),
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_every_route_is_fuzzed(api_schema: schemathesis.BaseSchema) -> None:
    documented = {
        (result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()
    }
    assert documented == set(OPERATIONS)


POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
# Negative cases need something to break: a body or a (security) header.
CASES = [(method, path, POSITIVE) for method, path in OPERATIONS] + [
    (method, path, NEGATIVE)
    for method, path in OPERATIONS
    if method == "POST" or path in ("/v1/targets", "/v1/model", "/metrics")
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_no_server_errors(
    api_schema: schemathesis.BaseSchema,
    method: str,
    path: str,
    mode: schemathesis.GenerationMode,
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    fuzz()
