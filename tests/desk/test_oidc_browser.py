"""「組織のアカウントでサインイン」 in a real browser (Debian Chromium through Playwright): the desk on
127.0.0.1 and the test identity provider on localhost are different sites, as in a city, so this shows that the
flow's cookie comes back with the provider's redirect (SameSite=Lax) and that the desk's SameSite=Strict session
cookie is sent once the sign-in page has moved on by itself. No page may break its CSP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect, sync_playwright

from bot.desk.accounts import add_user
from tests.desk.conftest import PASSWORD
from tests.desk.fake_idp import CLIENT_ID, CLIENT_SECRET, FakeIdP
from tests.web.conftest import (
    make_server,  # noqa: F401  (the live-server fixture)
    serve,
)

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"  # Debian's build; Playwright's own browser download is not used
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def idp() -> Iterator[FakeIdP]:
    provider = FakeIdP()
    provider.interactive = True
    with serve(provider.app(), None, timeout=30) as live:
        provider.url = live.url.replace("127.0.0.1", "localhost")  # another site than the desk
        yield provider


def test_a_clerk_signs_in_with_the_citys_account_in_a_browser(make_server, engine, idp):  # noqa: F811
    live = make_server(engine=engine, desk_oidc_issuer=idp.url, desk_oidc_client_id=CLIENT_ID,
                       desk_oidc_client_secret=CLIENT_SECRET)
    add_user(live.app.state.res.flows.store.engine, "tanaka", "office", PASSWORD)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_context(locale="ja-JP").new_page()
        page.set_default_timeout(15_000)
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("console", lambda m: problems.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text else None)  # no favicon
        page.goto(f"{live.url}/desk/audit")
        page.get_by_role("link", name="組織のアカウントでサインイン").click()
        page.get_by_role("button", name="サインインする").click()  # on the provider's page
        expect(page.get_by_role("heading", name="監査ログ")).to_be_visible()
        expect(page.locator(".who")).to_have_text("tanaka（個人情報保護担当）")
        assert page.url == f"{live.url}/desk/audit"
        assert idp.authorize_requests and idp.token_requests  # it went through the provider
        browser.close()
    assert problems == []
