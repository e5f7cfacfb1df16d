"""Property-based API tests of the running intake service, generated from its own OpenAPI schema by
schemathesis: whatever a client sends, no 5xx, and every rejection is a 4xx that says why."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from caseflow.infra.settings import Settings
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import SERVICES, Services
from tests.conftest import CONTRACT
from tests.e2e.test_walking_skeleton import env_of

pytestmark = pytest.mark.e2e
OPEN = {"/healthz", "/readyz", "/metrics"}


@pytest.fixture
def intake(settings: Settings, tmp_path: Path) -> Iterator[Services]:
    services = Services(env_of(settings, CONTRACT / "units.example.yaml"), {n: free_port() for n in SERVICES},
                        tmp_path / "logs")
    try:
        yield services.start(("intake",))
    finally:
        services.stop_all()


@pytest.fixture
def intake_schema(intake: Services) -> Any:
    return schemathesis.openapi.from_url(f"{intake.running['intake'].url}/openapi.json")


schema = schemathesis.pytest.from_fixture("intake_schema")

EXAMPLES = (CONTRACT / "examples.jsonl").read_bytes().splitlines()
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                     max_leaves=12)
# The bulk endpoint's body: valid lines, arbitrary JSON and arbitrary bytes, mixed.
_line = st.one_of(st.sampled_from(EXAMPLES), st.binary(max_size=200), _json.map(lambda v: json.dumps(v).encode()))
schemathesis.openapi.media_type("application/x-ndjson", st.lists(_line, max_size=12).map(b"\n".join))


def _reason(body: Any) -> bool:
    """A rejection names what is wrong: FastAPI's `detail`, or intake's per-event verdicts."""
    if not isinstance(body, dict):
        return False
    if body.get("detail"):
        return True
    results = body.get("results") or []
    return bool(results) and all(r.get("status") != "rejected" or r.get("reason") for r in results)


@schema.parametrize()
@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_rejection_says_why(case: Any) -> None:
    response = case.call(headers={"X-API-Key": "test-platform-key"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
    if response.status_code >= 400:
        assert _reason(response.json()), response.text[:500]


@schema.parametrize()
@hypothesis_settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_without_a_key_only_probes_answer(case: Any) -> None:
    response = case.call(headers={"X-API-Key": ""})
    if case.path in OPEN:
        assert response.status_code < 500
    elif case.method.upper() != case.operation.method.upper():  # the coverage phase tries other methods too
        assert response.status_code in (401, 405), (case.method, case.path, response.status_code)
    else:
        assert response.status_code == 401, (case.method, case.path, response.status_code)
