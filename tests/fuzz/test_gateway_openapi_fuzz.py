"""Property-based fuzzing of the whole API through the gateway, from the OpenAPI document it serves.

Every documented operation gets requests generated from its schema, valid ones and deliberately invalid
ones, sent with an administrator's token; the reading operations are fuzzed again with a sales rep's token,
whose answers take other paths (what a rep may see). Whatever is sent, the answer must not be a server
error and must match the document: a documented status code, with a body of the documented schema. The
run is reproducible (derandomized) and bounded: a fixed number of examples per operation and a time budget.
"""
from __future__ import annotations

import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from gateway.routes import ROUTES

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow, pytest.mark.long]

POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
# Who sends, which operations, and how many examples of each kind per operation.
PASSES = (
    ("admin", lambda operation: True, {POSITIVE: 5, NEGATIVE: 3}),
    ("rep1", lambda operation: operation.method.upper() == "GET", {POSITIVE: 2}),
)
# The whole run stops generating after this; an operation not reached by then fails the test.
TIME_BUDGET_SECONDS = 180.0
REQUEST_TIMEOUT_SECONDS = 15.0
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

# Operations not fuzzed, each with the reason. Everything else in the document is.
EXCLUDED = {
    # A server-sent event stream stays open by design, so every request would wait for its timeout.
    ("GET", "/api/v1/live"): "an endless event stream",
}


@pytest.fixture(scope="module")
def document(running_system) -> dict:
    response = requests.get(f"{running_system.gateway_url}/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_document_covers_every_service_behind_the_gateway(document):
    assert document["x-unavailable"] == [], f"services missing from the document: {document['x-unavailable']}"
    resources = {path.split("/")[3] for path in document["paths"] if path.startswith("/api/v1/")}
    assert set(ROUTES) - resources == set(), "resources the gateway forwards but the document does not describe"
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert set(EXCLUDED) <= operations, "an excluded operation is no longer in the document"


def _fuzz(operation, mode: GenerationMode, examples: int, session, headers: dict, deadline: float) -> None:
    @settings(
        max_examples=examples, derandomize=True, database=None, deadline=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        if time.monotonic() > deadline:
            return
        case.call_and_validate(session=session, headers=headers, checks=CHECKS, timeout=REQUEST_TIMEOUT_SECONDS)

    run()


# Room for the system to start when this test runs alone, the budget, and the requests still in flight.
@pytest.mark.timeout(TIME_BUDGET_SECONDS + 240)
def test_no_operation_answers_a_server_error_or_off_its_documented_schema(running_system, document):
    schema = schemathesis.openapi.from_dict(document)
    schema.config.base_url = running_system.gateway_url
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: (operation.path, operation.method),
    )
    operations = [operation for operation in operations if (operation.method.upper(), operation.path) not in EXCLUDED]
    assert operations, "the gateway's OpenAPI document lists no operation"
    # Logged in before fuzzing: fuzzed logins fail, and failed logins from one address are throttled.
    tokens = {username: running_system.login(username) for username, _chosen, _examples in PASSES}
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    failures, not_reached = [], []
    with requests.Session() as session:
        for username, chosen, examples in PASSES:
            headers = tokens[username]
            for operation in filter(chosen, operations):
                for mode, count in examples.items():
                    label = f"{operation.label} ({username}, {mode.value})"
                    if time.monotonic() > deadline:
                        not_reached.append(label)
                        continue
                    try:
                        _fuzz(operation, mode, count, session, headers, deadline)
                    except (Exception, BaseExceptionGroup) as error:  # every failure of the run is reported together
                        # Unsatisfiable in negative mode: nothing invalid to send (only a path parameter that
                        # may be any string).
                        if not (isinstance(error, Unsatisfiable) and mode is NEGATIVE):
                            failures.append(f"--- {label}\n{error}")
    problems = [f"{len(failures)} fuzzing runs failed:", *failures] if failures else []
    if not_reached:
        problems.append(f"The time budget ({TIME_BUDGET_SECONDS:.0f} s) ran out before: {', '.join(not_reached)}")
    assert not problems, "\n".join(problems)
