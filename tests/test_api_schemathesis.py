"""Schemathesis generates requests from /api/v1/openapi.json: no answer may be a 5xx.

Every operation of the published description is called with generated path parameters,
query strings and bodies (a bounded number of examples per operation, derandomized so a
failure repeats), as an admin, whose scope is widest, and as a clerk, whose requests are
mostly refused. A 4xx with a message is the right answer to nonsense; a 5xx fails the test.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")
EXAMPLES = 25


def test_no_generated_request_gets_a_server_error(app, world, token_for):
    tokens = {"admin": token_for(world.admin), "clerk": token_for(world.clerk_a)}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15  # the whole API is described
    calls = 0

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:  # noqa: ANN001
            nonlocal calls
            for who, headers in tokens.items():
                response = case.call(headers=headers)
                calls += 1
                assert response.status_code < 500, (who, case.method, case.formatted_path, case.query, case.body,
                                                    response.text[:500])

        run()
    assert calls >= len(operations) * 2
