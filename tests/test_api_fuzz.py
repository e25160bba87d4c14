"""schemathesis, an outside property-based API tester, against the app in process (WSGI):
requests generated from /api/v1/openapi.json with a valid platform key and a high rate limit.
No response may be a server error or disagree with the document (status, content type,
headers, body schema). At least 1,000 requests are sent; the count is printed."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from expertmatch.extensions import db
from expertmatch.services import assignments, credentials
from tests import factories as f
from tests.conftest import make_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 90
MIN_REQUESTS = 1000


@pytest.fixture
def fuzz_app(tmp_path):  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path / 'fuzz.sqlite'}", RATELIMIT_ENABLED=True,
                   API_RATE_LIMIT="1000000 per minute", RATELIMIT_STORAGE_URI="memory://")
    with app.app_context():
        db.create_all()
        centre = f.centre(code="GD-SZ")
        admin = f.user("admin")
        coordinator = f.user("coordinator", centre_id=centre.id)
        org = f.organisation()
        cases = [f.dispute_case(org.id, centre_id=centre.id) for _ in range(3)]
        experts = [f.expert_profile() for _ in range(3)]
        assignments.propose(cases[0], experts[0], coordinator)
        secret = credentials.create_platform_key(
            "fuzzer", centre.id, list(credentials.PLATFORM_SCOPES), admin).secret
    yield app, secret
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_schemathesis_finds_no_server_error_and_no_violation(fuzz_app):  # type: ignore[no-untyped-def]
    app, secret = fuzz_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {secret}"}
    sent = {"requests": 0}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), derandomize=True)
        def run(case):  # type: ignore[no-untyped-def]
            sent["requests"] += 1
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except Exception as error:  # collect all, report at once
                failures.append(f"{case.operation.label}: {str(error)[:600]}")
                raise

        try:
            run()
        except Exception:  # noqa: BLE001, S112  (recorded in failures above; go on)
            continue
    print(f"\nschemathesis: {sent['requests']} generated requests over "
          f"{len(operations)} operations")
    assert not failures, "\n\n".join(dict.fromkeys(failures))
    assert sent["requests"] >= MIN_REQUESTS
