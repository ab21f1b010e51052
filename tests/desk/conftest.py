"""Desk fixtures: the real app (create_app) on SQLite or a fresh PostgreSQL schema, desk accounts, incident
reports made through the real dialogue service, and a clock the tests set."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.desk import vocabulary
from bot.desk.accounts import add_user
from bot.settings import Settings
from bot.web.app import create_app
from tests.postgres import pg_schema

PASSWORD = "correct-horse-battery"
BASE_ANSWERS: dict[str, Any] = {
    "scope": "koriyama-kijun", "discovered_at": "2026-04-01T10:00+09:00", "event_type": "misdelivery",
    "recovered_unopened": "no", "media": ["paper"], "summary": "通知書を別の世帯に誤って郵送した",
    "data_items": ["name", "address", "tax"], "affected_count": 120, "contains_my_number": "no", "sensitive": "no",
    "ordinance_sensitive": "no", "financial_risk": "no", "malicious": "no", "publicly_viewable": "no", "contractor_involved": "no",
    "containment": "回収済み", "cause": "封入誤り", "secondary_damage": "なし", "prevention": "ダブルチェック",
    "individuals_notified": "no", "publication": "no",
}


def frozen(year: int, month: int, day: int, hour: int = 1) -> datetime:
    """A moment in UTC; hour 1 UTC is 10:00 in Japan, the same calendar day."""
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Any:
    """None (SQLite in the data dir) or a PostgreSQL schema of this test's own, dropped after it."""
    if request.param == "sqlite":
        yield None
        return
    with pg_schema("hogo_desk") as url:
        yield url


class DeskClient:
    """A TestClient on the app with helpers for what the office does."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    @property
    def app(self):
        return self.client.app

    @property
    def desk(self):
        return self.app.state.desk

    @property
    def store(self):
        return self.app.state.res.flows.store

    def set_clock(self, moment: datetime) -> None:
        self.desk.clock = lambda: moment

    def user(self, name: str, role: str = "office") -> str:
        add_user(self.store.engine, name, role, PASSWORD)
        return name

    def report(self, owner: str = "web:visitor", **answers: Any) -> str:
        row, _ = self.app.state.res.flows.run("incident", {**BASE_ANSWERS, **answers}, owner=owner)
        return row.id

    def login(self, name: str, password: str = PASSWORD, next_path: str = "/desk"):
        page = self.client.get("/desk/login", params={"next": next_path})
        assert page.status_code == 200, page.text
        return self.client.post("/desk/login", data={"name": name, "password": password, "csrf": csrf(page.text),
                                                     "next": next_path}, follow_redirects=False)

    def csrf(self, path: str = "/desk") -> str:
        return csrf(self.client.get(path).text)


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture
def desk_client(engine, tmp_path, db_url):
    settings = Settings(data_dir=tmp_path, database_url=db_url, admin_token="admin-secret-token")
    with TestClient(create_app(settings, engine=engine)) as client:
        yield DeskClient(client)
    vocabulary.apply(engine, Path(tmp_path) / "nothing-here")  # the shared engine back to the bundled vocabulary
