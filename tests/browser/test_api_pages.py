"""The API's docs page renders offline (assets from a package, strict CSP), and the token
page is accessible in both languages and shows a new key once."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from expertmatch.extensions import db
from tests import factories
from tests.browser.conftest import check_accessibility
from tests.conftest import make_app


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    from werkzeug.serving import make_server

    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('api') / 'api.sqlite'}",
                   WTF_CSRF_ENABLED=True, SERVER_NAME=None)
    with app.app_context():
        db.create_all()
        email = factories.user("enterprise").email
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", email
    server.shutdown()


def test_docs_page_renders_every_operation(browser, small_server):  # type: ignore[no-untyped-def]
    base, _email = small_server
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=15000)
    assert page.locator(".opblock").count() >= 15
    assert not errors
    page.close()


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh-Hans")])
def test_token_page_is_accessible_and_shows_the_key_once(browser, small_server, locale, lang):  # type: ignore[no-untyped-def]
    base, email = small_server
    context = browser.new_context(base_url=base, locale=locale)
    page = context.new_page()
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", factories.PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.goto("/account/api-tokens")
    assert page.locator("html").get_attribute("lang") == lang
    check_accessibility(page, f"api-tokens-{lang}")
    page.fill("#name", f"ERP {lang}")
    page.locator("#scopes-0").check()
    page.locator("form.narrow button[type=submit]").click()
    secret = page.locator("#issued-secret").input_value()
    assert secret.startswith("emt_")
    check_accessibility(page, f"api-tokens-issued-{lang}")
    page.goto("/account/api-tokens")
    expect(page.locator("#issued-secret")).to_have_count(0)
    context.close()
