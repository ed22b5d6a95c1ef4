"""Property-based fuzzing of every route from the service's own OpenAPI schema (schemathesis)
against the real Neo4j holding the knowledge set: no 5xx, every status, content type, header
and body as the schema declares, bad data refused. A write token is sent, so that every route
runs past authentication (a read token's refusals are tested in test_http_*).

Each operation's strategy is driven by Hypothesis directly (schemathesis's pytest plugin does
not load under this pytest); failures of all operations are collected and reported together.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES = 15  # per operation: keeps the whole test near a minute


def test_every_route_keeps_its_contract(kb_api):
    schema = schemathesis.openapi.from_asgi("/openapi.json", kb_api.client.app)
    headers = kb_api.headers("write")
    operations, failures = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(headers=headers)

        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 - collected, reported below
            failures.append(f"{operations[-1]}: {exc}")
    assert {"GET /health", "GET /sources"} <= set(operations)
    assert not failures, "\n\n".join(failures)
