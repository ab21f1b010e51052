"""Desk sign-in through the city's identity provider (OpenID Connect), driven through the real app against a
small provider served on a loopback port: the whole redirect round trip, the account's role, the audit log, and
every refusal (unknown person, nonce, audience, expiry, signature, state, unreachable provider) as a Japanese
message on the sign-in page, never a server error."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey
from pydantic import ValidationError
from sqlalchemy import select
from starlette.responses import PlainTextResponse

from bot.desk.accounts import set_active
from bot.desk.oidc import SignInRefused, account_name
from bot.desk.tables import audit
from bot.settings import Settings
from bot.web.app import create_app
from tests.desk.conftest import PASSWORD, DeskClient, csrf
from tests.desk.fake_idp import CLIENT_ID, CLIENT_SECRET, FakeIdP
from tests.web.conftest import free_port, serve

BUTTON = "組織のアカウントでサインイン"


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeIdP]:
    idp = FakeIdP()
    with serve(idp.app(), None, timeout=30) as live:
        idp.url = live.url
        yield idp


@pytest.fixture
def idp(provider) -> FakeIdP:
    provider.reset()
    return provider


@pytest.fixture
def make_desk(engine, tmp_path, db_url, idp):
    """The real app with the identity provider configured: ``make_desk(**settings)``."""
    clients: list[TestClient] = []

    def start(**overrides) -> DeskClient:
        values = {"data_dir": tmp_path, "database_url": db_url, "desk_oidc_issuer": idp.url,
                  "desk_oidc_client_id": CLIENT_ID, "desk_oidc_client_secret": CLIENT_SECRET, **overrides}
        client = TestClient(create_app(Settings(**values), engine=engine))
        client.__enter__()
        clients.append(client)
        return DeskClient(client)

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def through_idp(desk: DeskClient, idp: FakeIdP, next_path: str = "/desk") -> httpx.Response:
    """What the browser does: the button, the provider's sign-in, and back to the desk with the code."""
    start = desk.client.get("/desk/oidc/start", params={"next": next_path}, follow_redirects=False)
    assert start.status_code == 302, start.text
    assert start.headers["location"].startswith(f"{idp.url}/authorize?")
    with httpx.Client(trust_env=False) as browser:
        back = browser.get(start.headers["location"], follow_redirects=False)
    assert back.status_code == 302, back.text
    target = urlsplit(back.headers["location"])
    assert target.path == "/desk/oidc/callback"
    return desk.client.get(f"{target.path}?{target.query}", follow_redirects=False)


def audit_rows(desk: DeskClient) -> list[tuple[str, str, str | None, str | None]]:
    with desk.store.engine.connect() as conn:
        return [(r.actor, r.action, r.target, r.detail) for r in conn.execute(select(audit).order_by(audit.c.id))]


def session_cookie(response: httpx.Response) -> bool:
    return any(c.startswith("hogo_desk=") for c in response.headers.get_list("set-cookie"))


def test_an_office_clerk_signs_in_through_the_identity_provider(make_desk, idp):
    desk = make_desk()
    desk.user("tanaka")
    page = desk.client.get("/desk/login?next=/desk/audit")
    assert BUTTON in page.text and 'href="/desk/oidc/start?next=/desk/audit"' in page.text
    assert 'name="password"' in page.text  # the password form stays beside it

    done = through_idp(desk, idp, "/desk/audit")
    assert done.status_code == 200 and "サインインしました" in done.text
    assert 'http-equiv="refresh" content="0; url=/desk/audit"' in done.text  # a same-site step: Strict cookie sent
    cookies = done.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("hogo_desk="))
    assert "HttpOnly" in session and "SameSite=strict" in session
    assert any(c.startswith("hogo_desk_oidc=") and "Max-Age=0" in c for c in cookies)  # the flow's cookie is gone
    assert "tanaka（個人情報保護担当）" in desk.client.get("/desk/audit").text

    asked = idp.authorize_requests[0]  # authorization code flow with PKCE, state and nonce
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert asked["state"] and asked["nonce"] and asked["scope"].split()[0] == "openid"
    assert asked["redirect_uri"] == "http://testserver/desk/oidc/callback"
    assert idp.token_requests[0]["code_verifier"]  # the provider checked it against the challenge
    assert audit_rows(desk)[0] == ("tanaka", "oidc_login_success", "tanaka", "office（preferred_username: tanaka）")


def test_the_account_keeps_its_own_role_and_a_replayed_answer_is_refused(make_desk, idp):
    desk = make_desk()
    desk.user("sato", "auditor")
    idp.person = {"sub": "u-2002", "preferred_username": "Sato", "groups": ["privacy-office", "admins"]}
    first = desk.client.get("/desk/oidc/start", follow_redirects=False)
    with httpx.Client(trust_env=False) as browser:
        back = urlsplit(browser.get(first.headers["location"], follow_redirects=False).headers["location"])
    callback = f"{back.path}?{back.query}"
    assert desk.client.get(callback, follow_redirects=False).status_code == 200
    assert "sato（監査担当（閲覧のみ））" in desk.client.get("/desk").text  # groups are not read: still an auditor
    desk.client.cookies.clear()
    again = desk.client.get(callback, follow_redirects=False)  # the same code and state once more
    assert again.status_code == 400 and "有効期限が切れたか" in again.text and not session_cookie(again)
    assert audit_rows(desk)[-1][1] == "oidc_login_failure"


def test_a_person_without_a_desk_account_is_refused_and_audited(make_desk, idp):
    desk = make_desk()
    desk.user("tanaka")
    idp.person = {"sub": "u-3003", "preferred_username": "suzuki"}
    refused = through_idp(desk, idp)
    assert refused.status_code == 401 and not session_cookie(refused)
    assert "組織のアカウント（suzuki）に対応する事案デスクのアカウントがありません" in refused.text
    assert BUTTON in refused.text  # the sign-in page again, with the reason
    assert desk.client.get("/desk", follow_redirects=False).status_code == 303
    assert audit_rows(desk) == [("suzuki", "oidc_login_failure", "suzuki",
                                 "デスクのアカウントがありません（preferred_username: suzuki）")]

    set_active(desk.store.engine, "tanaka", False)  # a disabled account stays out, however it signs in
    idp.person = {"sub": "u-1001", "preferred_username": "tanaka"}
    disabled = through_idp(desk, idp)
    assert disabled.status_code == 401 and "無効になっています" in disabled.text and not session_cookie(disabled)


def _other_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "test-key"})


@pytest.mark.parametrize(("bend", "reason"), [
    (lambda idp: idp.claims.update(nonce="a-nonce-from-another-sign-in"), "nonce"),
    (lambda idp: idp.claims.update(aud="another-app"), "aud"),
    (lambda idp: idp.claims.update(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200), "expired"),
    (lambda idp: idp.claims.update(iss="http://127.0.0.1:1/another-issuer"), "iss"),
    (lambda idp: setattr(idp, "tamper", True), "signature"),
    (lambda idp: setattr(idp, "sign_with", _other_key()), "signature"),
], ids=["nonce", "audience", "expired", "issuer", "tampered", "forged-key"])
def test_an_id_token_that_does_not_hold_is_refused(make_desk, idp, bend, reason):
    desk = make_desk()
    desk.user("tanaka")
    desk.user("kanri")
    bend(idp)
    refused = through_idp(desk, idp)
    assert refused.status_code == 401, refused.text
    assert "組織のアカウントを確認できませんでした" in refused.text and not session_cookie(refused)
    assert "Traceback" not in refused.text
    actor, action, _, detail = audit_rows(desk)[-1]
    assert (actor, action) == ("-", "oidc_login_failure") and reason in detail
    assert desk.client.get("/desk", follow_redirects=False).status_code == 303


def test_a_stale_or_foreign_answer_and_a_refusal_at_the_provider(make_desk, idp):
    desk = make_desk()
    desk.user("tanaka")
    forged = desk.client.get("/desk/oidc/callback?code=stolen-code&state=made-up", follow_redirects=False)
    assert forged.status_code == 400 and "有効期限が切れたか、別の画面で始められた" in forged.text
    desk.client.get("/desk/oidc/start", follow_redirects=False)  # started here, answered for someone else's state
    other = desk.client.get("/desk/oidc/callback?code=x&state=not-this-one", follow_redirects=False)
    assert other.status_code == 400 and not session_cookie(other)
    denied = desk.client.get("/desk/oidc/callback?error=access_denied&state=s", follow_redirects=False)
    assert denied.status_code == 401 and "サインインが完了しませんでした（access_denied）" in denied.text
    assert [a for _, a, _, _ in audit_rows(desk)] == ["oidc_login_failure"] * 3


def test_a_provider_that_cannot_be_reached_gets_a_japanese_message(make_desk, idp):
    desk = make_desk(desk_oidc_issuer=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    page = desk.client.get("/desk/oidc/start", follow_redirects=False)
    assert page.status_code < 500 and "組織の認証サーバーに接続できませんでした" in page.text
    assert 'name="password"' in page.text  # the password form is still there
    assert audit_rows(desk)[-1][:2] == ("-", "oidc_login_failure")

    desk = make_desk()  # reachable at first, then its token endpoint breaks down
    desk.user("tanaka")
    idp.token_failure = PlainTextResponse("<h1>502 Bad Gateway</h1>", status_code=502)
    broken = through_idp(desk, idp)
    assert broken.status_code < 500 and "組織の認証サーバーに接続できませんでした" in broken.text
    assert not session_cookie(broken)
    assert "Traceback" not in broken.text


def test_a_discovery_document_for_another_issuer_is_not_trusted(make_desk, idp):
    desk = make_desk()
    idp.discovery_issuer = "https://idp.other.example"
    page = desk.client.get("/desk/oidc/start", follow_redirects=False)
    assert page.status_code < 500 and "連携設定が正しくありません" in page.text
    idp.discovery_issuer, idp.discovery_failure = None, PlainTextResponse("maintenance")  # 200, but no JSON
    page = desk.client.get("/desk/oidc/start", follow_redirects=False)
    assert page.status_code < 500 and "連携設定が正しくありません" in page.text
    assert not idp.authorize_requests
    assert [a for _, a, _, _ in audit_rows(desk)] == ["oidc_login_failure"] * 2


def test_the_email_claim_in_the_citys_domain_names_the_account(make_desk, idp):
    desk = make_desk(desk_oidc_claim="email", desk_oidc_domain="city.example.lg.jp")
    desk.user("tanaka")
    idp.person = {"sub": "u-1001", "email": "Tanaka@City.Example.lg.jp", "email_verified": True}
    assert through_idp(desk, idp).status_code == 200
    assert "tanaka（個人情報保護担当）" in desk.client.get("/desk").text
    desk.client.cookies.clear()
    idp.person = {"sub": "u-6666", "email": "tanaka@other.example.jp", "email_verified": True}
    refused = through_idp(desk, idp)
    assert refused.status_code == 401 and "組織のドメインのアカウントでのみ" in refused.text


def test_account_names_from_claims():
    assert account_name({"preferred_username": "K.Sato"}, "preferred_username", None) == "k.sato"
    assert account_name({"upn": "tanaka@city.example.lg.jp"}, "upn", "city.example.lg.jp") == "tanaka"
    refusals = [({}, "preferred_username", None),  # no such claim
                ({"preferred_username": "tanaka@city.example.lg.jp"}, "preferred_username", None),  # not a name
                ({"email": "tanaka@city.example.lg.jp", "email_verified": False}, "email", "city.example.lg.jp"),
                ({"email": "tanaka@city.example.lg.jp.evil.example"}, "email", "city.example.lg.jp"),
                ({"email": "tanaka"}, "email", "city.example.lg.jp"),
                ({"preferred_username": "../admin"}, "preferred_username", None)]
    for claims, claim, domain in refusals:
        with pytest.raises(SignInRefused):
            account_name(claims, claim, domain)


def test_identity_provider_only(make_desk, idp):
    desk = make_desk(desk_password_signin=False)
    desk.user("tanaka")
    page = desk.client.get("/desk/login")
    assert BUTTON in page.text and 'name="password"' not in page.text
    token = desk.desk.sessions.login_token(desk.client.cookies.get("hogo_desk_login"))
    posted = desk.client.post("/desk/login", data={"name": "tanaka", "password": PASSWORD, "csrf": token},
                              follow_redirects=False)
    assert posted.status_code == 403 and "組織のアカウントでサインインしてください" in posted.text
    assert not session_cookie(posted)
    assert through_idp(desk, idp).status_code == 200


def test_off_by_default(desk_client):
    page = desk_client.client.get("/desk/login")
    assert BUTTON not in page.text and 'name="password"' in page.text
    assert desk_client.client.get("/desk/oidc/start", follow_redirects=False).status_code == 404
    callback = desk_client.client.get("/desk/oidc/callback?code=x&state=y", follow_redirects=False)
    assert callback.status_code == 404 and "設定されていません" in callback.text
    desk_client.user("tanaka")
    assert desk_client.login("tanaka").status_code == 303
    assert csrf(desk_client.client.get("/desk").text)


def test_settings_refuse_an_unsafe_or_incomplete_configuration(tmp_path):
    with pytest.raises(ValidationError, match="HOGO_DESK_OIDC_CLIENT_ID"):
        Settings(data_dir=tmp_path, desk_oidc_issuer="https://idp.city.example.lg.jp")
    with pytest.raises(ValidationError, match="https"):
        Settings(data_dir=tmp_path, desk_oidc_issuer="http://idp.city.example.lg.jp", desk_oidc_client_id="x")
    with pytest.raises(ValidationError, match="nobody could sign in"):
        Settings(data_dir=tmp_path, desk_password_signin=False)
    ok = Settings(data_dir=tmp_path, desk_oidc_issuer="https://idp.city.example.lg.jp/realms/city",
                  desk_oidc_client_id="hogo-desk")
    assert ok.desk_oidc_claim == "preferred_username" and ok.desk_password_signin
