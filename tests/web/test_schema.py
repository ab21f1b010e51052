"""Property-based checks of every documented operation: whatever the schema allows (and some it does
not), the API never answers with a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from bot.settings import Settings
from bot.web.app import create_app

ORIGIN = "http://testserver"


@pytest.fixture(scope="module")
def live(engine, tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("schema"), admin_token="admin-token",
                              rate_per_ip=0, rate_per_token=0), engine=engine)
    with TestClient(app, headers={"Origin": ORIGIN}) as client:  # runs the lifespan: resources stay open
        token = client.post("/api/session", json={"site_key": "demo"}).json()["token"]
        yield app, token


@pytest.mark.slow
def test_no_server_errors(live):
    app, token = live
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}", "Origin": ORIGIN}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
            content_type = response.headers.get("content-type") or [""]
            if response.status_code >= 400 and content_type[0].startswith("application/json"):
                assert set(response.json()) == {"error"}, response.text[:300]

        check()
