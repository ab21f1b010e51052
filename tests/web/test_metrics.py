"""/metrics in the Prometheus text format: the counters move with the requests, answers and dialogues; the
scrape is for this machine or the bearer of HOGO_METRICS_TOKEN; several workers add up."""

from __future__ import annotations

import os
import subprocess
import sys

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.settings import Settings
from bot.web.app import create_app

ORIGIN = "http://testserver"
ON_THIS_MACHINE = ("127.0.0.1", 50000)  # the client address a scraper on the host has
CONSIGNMENT = [("work", "印刷業務"), ("handles_my_number", "no"), ("reconsignment_planned", "no"),
               ("dispatched_workers", "no")]


def client_for(engine, tmp_path, client=ON_THIS_MACHINE, **overrides) -> TestClient:
    settings = Settings(data_dir=tmp_path, **overrides)
    return TestClient(create_app(settings, engine=engine), headers={"Origin": ORIGIN}, client=client)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(scraped: dict, name: str, **labels: str) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def bearer(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.post('/api/session', json={'site_key': 'demo'}).json()['token']}"}


def finish_consignment(client: TestClient, headers: dict[str, str]) -> None:
    view = client.post("/api/flows/consignment/sessions", json={"scope": "mima-kitei"}, headers=headers).json()
    for step_id, answer in CONSIGNMENT:
        view = client.post(f"/api/flows/sessions/{view['id']}/answer", json={"step_id": step_id, "value": answer},
                           headers=headers).json()
    while view["step"]:
        view = client.post(f"/api/flows/sessions/{view['id']}/answer",
                           json={"step_id": view["step"]["id"], "value": {"status": "済", "note": ""}},
                           headers=headers).json()
    for _ in range(2):  # finishing twice returns the report again: one dialogue finished
        assert client.post(f"/api/flows/sessions/{view['id']}/finish", headers=headers).status_code == 200


def test_the_counters_move_with_requests_answers_dialogues_and_errors(engine, tmp_path):
    with client_for(engine, tmp_path) as client:
        me = bearer(client)
        for question in ("委託先の監督について", "今日の天気は？"):
            assert client.post("/api/ask", json={"question": question}, headers=me).status_code == 200
        assert client.get("/api/clauses/koriyama-kijun:99").status_code == 404
        assert client.get("/api/clauses/koriyama-kijun:23:1").status_code == 200
        finish_consignment(client, bearer(client))
        client.post("/api/flows/incident/sessions", json={"scope": "koriyama-kijun"}, headers=bearer(client))
        response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    scraped = samples(response.text)
    assert value(scraped, "hogo_http_requests_total", method="POST", route="/api/ask", status="200") == 2
    assert value(scraped, "hogo_http_requests_total", method="GET", route="/api/clauses/{key}", status="404") == 1
    assert value(scraped, "hogo_http_request_seconds_count", route="/api/ask") == 2
    assert value(scraped, "hogo_answers_total", abstained="false", composer="extractive") == 1
    assert value(scraped, "hogo_answers_total", abstained="true", composer="extractive") == 1
    assert value(scraped, "hogo_dialogues_started_total", flow="consignment") == 1
    assert value(scraped, "hogo_dialogues_started_total", flow="incident") == 1
    assert value(scraped, "hogo_dialogues_finished_total", flow="consignment") == 1
    assert value(scraped, "hogo_dialogues_finished_total", flow="incident") == 0
    assert value(scraped, "hogo_errors_total", code="unknown_clause") == 1


def test_refusals_are_counted_by_their_code(engine, tmp_path):
    with client_for(engine, tmp_path, rate_per_token=1, max_body=1024) as client:
        me = bearer(client)
        assert [client.post("/api/ask", json={"question": "委託"}, headers=me).status_code for _ in range(2)] == \
            [200, 429]
        assert client.post("/api/ask", json={"question": "委" * 2000}, headers=me).status_code == 413
        assert client.post("/api/ask", json={"question": "委託"}).status_code == 401
        scraped = samples(client.get("/metrics").text)
    assert value(scraped, "hogo_http_requests_total", method="POST", route="/api/ask", status="429") == 1
    assert value(scraped, "hogo_errors_total", code="rate_limited") == 1
    assert value(scraped, "hogo_errors_total", code="body_too_large") == 1
    assert value(scraped, "hogo_errors_total", code="unauthorized") == 1


def test_each_app_counts_its_own_requests(engine, tmp_path):
    with client_for(engine, tmp_path / "a") as first, client_for(engine, tmp_path / "b") as second:
        for _ in range(3):
            first.get("/health")
        second.get("/health")
        assert value(samples(second.get("/metrics").text), "hogo_http_requests_total",
                     method="GET", route="/health", status="200") == 1


def test_unknown_paths_share_one_label(engine, tmp_path):
    with client_for(engine, tmp_path) as client:
        for n in range(3):
            assert client.get(f"/no/such/page/{n}").status_code == 404
        scraped = samples(client.get("/metrics").text)
    assert value(scraped, "hogo_http_requests_total", method="GET", route="unmatched", status="404") == 3
    assert value(scraped, "hogo_errors_total", code="http_404") == 3


def test_metrics_are_for_this_machine_unless_a_token_is_set(engine, tmp_path):
    with client_for(engine, tmp_path / "open", client=("192.0.2.7", 50000)) as elsewhere:
        refused = elsewhere.get("/metrics")
        assert refused.status_code == 403
        assert refused.json()["error"]["message"] == "メトリクスはこのサーバー上からのみ取得できます。"
    with client_for(engine, tmp_path / "token", client=("192.0.2.7", 50000), metrics_token="scrape-me") as guarded:
        assert guarded.get("/metrics").status_code == 401
        assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert guarded.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200
    with client_for(engine, tmp_path / "local", metrics_token="scrape-me") as local:
        assert local.get("/metrics").status_code == 401  # with a token set, this machine needs it too


WORKER = """
import sys
from bot.web.metrics import Metrics
metrics = Metrics()
for _ in range(int(sys.argv[1])):
    metrics.requests.labels(method="GET", route="/health", status="200").inc()
sys.stdout.buffer.write(metrics.exposition())
"""


def test_several_workers_add_up_in_multiprocess_mode(tmp_path):
    from bot.cli.serve_cmd import metrics_environment

    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_999.db").write_bytes(b"left by the last start")
    env = {**os.environ, **metrics_environment(Settings(data_dir=tmp_path))}
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "metrics")
    assert not list((tmp_path / "metrics").glob("*.db"))  # emptied at start
    outputs = [subprocess.run([sys.executable, "-c", WORKER, str(n)], env=env, capture_output=True, check=True,
                              timeout=60).stdout.decode() for n in (2, 3)]
    assert value(samples(outputs[-1]), "hogo_http_requests_total", method="GET", route="/health", status="200") == 5
