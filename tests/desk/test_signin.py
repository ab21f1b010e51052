"""Desk accounts and sign-in through the app factory: the Japanese sign-in page, the session cookie, sign-out,
the limit on failed attempts, CSRF and roles; and the `hogo desk user` commands."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.desk.tables import audit
from bot.settings import Settings
from bot.web.app import create_app
from tests.desk.conftest import PASSWORD, DeskClient, csrf


def actions(desk_client: DeskClient) -> list[tuple[str, str, str | None]]:
    with desk_client.store.engine.connect() as conn:
        return [(r.actor, r.action, r.target) for r in conn.execute(select(audit).order_by(audit.c.id))]


def test_pages_need_sign_in_and_come_back_after_it(desk_client):
    response = desk_client.client.get("/desk/audit", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/desk/login?next=/desk/audit"
    page = desk_client.client.get("/desk/login?next=/desk/audit")
    assert "サインイン" in page.text and 'lang="ja"' in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # no script at all: default-src 'none'
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "form-action 'self'" in page.headers["content-security-policy"]
    desk_client.user("tanaka")
    signed = desk_client.login("tanaka", next_path="/desk/audit")
    assert signed.status_code == 303 and signed.headers["location"] == "/desk/audit"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("hogo_desk=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http here
    page = desk_client.client.get("/desk")
    assert page.status_code == 200 and "tanaka（個人情報保護担当）" in page.text


def test_wrong_password_is_refused_and_logged(desk_client):
    desk_client.user("tanaka")
    response = desk_client.login("tanaka", "wrong-password-123")
    assert response.status_code == 401
    assert "アカウント名またはパスワードが違います" in response.text
    assert desk_client.login("nobody").status_code == 401
    assert desk_client.login("tanaka").status_code == 303
    assert actions(desk_client) == [("tanaka", "login_failure", "tanaka"), ("nobody", "login_failure", "nobody"),
                                    ("tanaka", "login_success", "tanaka")]


def test_repeated_failures_lock_the_account_name_out(desk_client):
    desk_client.user("tanaka")
    for _ in range(5):
        assert desk_client.login("tanaka", "wrong-password-123").status_code == 401
    locked = desk_client.login("tanaka")  # even the right password, for a while
    assert locked.status_code == 429 and "一時的に受け付けていません" in locked.text
    assert actions(desk_client)[-1][1] == "login_locked"
    desk_client.user("sato")
    assert desk_client.login("sato").status_code == 303  # another name from the same address still can


def test_sign_out_ends_the_session_for_good(desk_client):
    desk_client.user("tanaka")
    desk_client.login("tanaka")
    stolen = dict(desk_client.client.cookies)
    refused = desk_client.client.post("/desk/logout", data={"csrf": "forged"}, follow_redirects=False)
    assert refused.status_code == 400 and "画面の有効期限が切れました" in refused.text
    token = desk_client.csrf()
    out = desk_client.client.post("/desk/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/desk/login?done=signed_out"
    desk_client.client.cookies.update(stolen)  # the old cookie no longer opens anything
    assert desk_client.client.get("/desk", follow_redirects=False).status_code == 303
    assert [a for _, a, _ in actions(desk_client)][-1] == "logout"


def test_sign_in_needs_its_form_token_and_never_leaves_the_desk(desk_client):
    desk_client.user("tanaka")
    page = desk_client.client.get("/desk/login")
    forged = desk_client.client.post("/desk/login", data={"name": "tanaka", "password": PASSWORD, "csrf": "x"},
                                     follow_redirects=False)
    assert forged.status_code == 400
    other = desk_client.client.post("/desk/login", headers={"Origin": "https://evil.example"},
                                    data={"name": "tanaka", "password": PASSWORD, "csrf": csrf(page.text)},
                                    follow_redirects=False)
    assert other.status_code == 403
    away = desk_client.client.post("/desk/login", follow_redirects=False, data={
        "name": "tanaka", "password": PASSWORD, "csrf": csrf(page.text), "next": "//evil.example/desk"})
    assert away.status_code == 303 and away.headers["location"] == "/desk"


def test_secure_cookie_when_the_public_url_is_https(engine, tmp_path):
    settings = Settings(data_dir=tmp_path, public_url="https://hogo.city.example")
    with TestClient(create_app(settings, engine=engine), base_url="https://testserver") as client:
        desk_client = DeskClient(client)
        desk_client.user("tanaka")
        cookie = desk_client.login("tanaka").headers["set-cookie"]
        assert cookie.startswith("__Host-hogo_desk=") and "Secure" in cookie and "Path=/" in cookie
        assert client.get("/desk").status_code == 200


def test_an_auditor_reads_but_cannot_change(desk_client):
    case_id = desk_client.report()
    desk_client.user("kansa", role="auditor")
    desk_client.login("kansa")
    page = desk_client.client.get(f"/desk/cases/{case_id}")
    assert page.status_code == 200 and "閲覧のみのアカウントです" in page.text and "状況を進める" not in page.text
    refused = desk_client.client.post(f"/desk/cases/{case_id}/status", data={
        "csrf": csrf(page.text), "status": "preliminary", "done_on": "2026-04-02"}, follow_redirects=False)
    assert refused.status_code == 403 and "閲覧のみ" in refused.text
    assert desk_client.client.get("/desk/audit").status_code == 200


def test_a_disabled_account_or_a_new_password_signs_out_at_once(desk_client):
    from bot.desk.accounts import set_active, set_password

    desk_client.user("tanaka")
    desk_client.login("tanaka")
    set_password(desk_client.store.engine, "tanaka", "another-long-password")
    assert desk_client.client.get("/desk", follow_redirects=False).status_code == 303
    desk_client.login("tanaka", "another-long-password")
    set_active(desk_client.store.engine, "tanaka", False)
    assert desk_client.client.get("/desk", follow_redirects=False).status_code == 303
    assert desk_client.login("tanaka", "another-long-password").status_code == 401


def test_user_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("HOGO_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    added = runner.invoke(cli, ["desk", "user", "add", "tanaka", "--role", "office", "--password-stdin"],
                          input=f"{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert "account tanaka (office) created" in added.output
    again = runner.invoke(cli, ["desk", "user", "add", "tanaka", "--role", "office", "--password-stdin"],
                          input=f"{PASSWORD}\n")
    assert again.exit_code != 0 and "exists already" in str(again.exception)
    short = runner.invoke(cli, ["desk", "user", "add", "sato", "--role", "auditor", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 10" in str(short.exception)
    runner.invoke(cli, ["desk", "user", "add", "kansa", "--role", "auditor", "--password-stdin"], input=f"{PASSWORD}\n")
    listed = runner.invoke(cli, ["desk", "user", "list"])
    assert listed.exit_code == 0
    lines = [line.split("\t")[:3] for line in listed.output.splitlines()]
    assert lines == [["kansa", "auditor", "active"], ["tanaka", "office", "active"]]


def test_an_account_for_identity_provider_sign_in_has_no_password(tmp_path, monkeypatch):
    # With password sign-in off, `desk user add` asks for no password; such an account never signs in by one.
    from bot.desk.accounts import NO_PASSWORD, authenticate, users
    from bot.services import open_store

    monkeypatch.setenv("HOGO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOGO_DESK_PASSWORD_SIGNIN", "false")
    monkeypatch.setenv("HOGO_DESK_OIDC_ISSUER", "https://idp.city.example.lg.jp")
    monkeypatch.setenv("HOGO_DESK_OIDC_CLIENT_ID", "hogo-desk")
    runner = CliRunner()
    added = runner.invoke(cli, ["desk", "user", "add", "tanaka", "--role", "office"], input="")
    assert added.exit_code == 0, added.output
    assert "signs in through the identity provider" in added.output and "warning" not in added.output
    for name in ("HOGO_DESK_PASSWORD_SIGNIN", "HOGO_DESK_OIDC_ISSUER", "HOGO_DESK_OIDC_CLIENT_ID"):
        monkeypatch.delenv(name)
    flagged = runner.invoke(cli, ["desk", "user", "add", "sato", "--role", "auditor", "--no-password"], input="")
    assert flagged.exit_code == 0, flagged.output
    assert "hogo desk user password sato" in flagged.output  # no provider is set: the warning says what to do
    store = open_store(Settings())
    with store.engine.connect() as conn:
        stored = dict(conn.execute(select(users.c.name, users.c.password_hash)).all())
    assert stored == {"tanaka": NO_PASSWORD, "sato": NO_PASSWORD}
    for guess in ("", "!", NO_PASSWORD, "hogo-desk-dummy-password"):
        assert authenticate(store.engine, "tanaka", guess) is None
    assert runner.invoke(cli, ["desk", "user", "password", "tanaka", "--password-stdin"],
                         input=f"{PASSWORD}\n").exit_code == 0
    assert authenticate(store.engine, "tanaka", PASSWORD).name == "tanaka"  # a password set later works
    store.close()
