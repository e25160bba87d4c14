"""Browser tests: a live server with the demo data and the real model, driven by
Debian chromium through Playwright, with axe-core checking each main page.

One live server per session (seeding and indexing the demo takes most of the suite's
time): tests that change data (the journeys) create their own cases, and tests that only
look at pages use the demo rows, so the modules run in any order.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from expertmatch.matching.encoders import DEFAULT_MODEL_SPEC

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DEMO = ROOT / "data" / "demo"
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
DEMO_PASSWORD = "demo-pass-2026"  # the demo data set's fictional accounts (services/demo.py)
# For iterating on the tests only: copy a freshly seeded and indexed database file instead
# of seeding again (its demo dates are those of the day it was seeded). Make one with
#   export EXPERTMATCH_ENV_NAME=development EXPERTMATCH_DATABASE_URL=sqlite:////tmp/seeded.sqlite
#   flask --app wsgi db upgrade && flask --app wsgi seed-demo && flask --app wsgi reindex
# and never reuse the database of a test run (the journeys add cases and proposals to it).
SEEDED_DB_ENV = "EXPERTMATCH_BROWSER_SEEDED_DB"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):  # type: ignore[no-untyped-def]
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The app on a fresh migrated SQLite database with the demo data and its vectors."""
    from flask_migrate import upgrade

    from expertmatch import create_app
    from expertmatch.services import demo, matching

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make browser-deps` (make test does)")
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make browser-deps` (make test does)")
    db_path = tmp_path_factory.mktemp("live") / "live.sqlite"
    seeded = os.environ.get(SEEDED_DB_ENV)
    if seeded:
        shutil.copy(seeded, db_path)
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SECRET_KEY": "browser-tests",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "RATELIMIT_ENABLED": False,
            "EMBEDDING_MODEL": DEFAULT_MODEL_SPEC,
        }
    )
    with app.app_context():
        if not seeded:
            upgrade()
            demo.seed()
        matching.reindex(progress=False)
    return app


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """``live_app`` served on a free port, in a thread of this process."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
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
    """``page_for(locale)`` opens a fresh browser context (own cookies) in that language;
    ``storage_state`` starts it with the cookies of an earlier sign-in."""
    contexts = []

    def make(locale: str = "en-GB", storage_state: dict | None = None):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            base_url=live_server,
            locale=locale,
            viewport={"width": 1280, "height": 900},
            storage_state=storage_state,
        )
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


_SIGNED_IN: dict[str, dict] = {}


@pytest.fixture
def page_as(page_for):  # type: ignore[no-untyped-def]
    """``page_as(email, locale, path)``: a page signed in as that demo account, showing
    ``path`` in that interface language. The first sign-in of an account is kept for the
    session (its cookies), so page checks do not pay for a sign-in each time."""

    def make(email: str, locale: str = "en-GB", path: str = "/home"):  # type: ignore[no-untyped-def]
        page = page_for(locale, storage_state=_SIGNED_IN.get(email))
        page.goto(path)
        if "/auth/login" in page.url:  # first use of the account, or its session ended
            sign_in(page, email)
            _SIGNED_IN[email] = page.context.storage_state()
            page.goto(path)
        use_language(page, locale)
        return page

    return make


def response_status(page) -> int:  # type: ignore[no-untyped-def]
    """The HTTP status of the document the page shows (after any redirects)."""
    return int(page.evaluate("performance.getEntriesByType('navigation')[0].responseStatus"))


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page).not_to_have_url(re.compile(r"/auth/login"))


def html_lang(locale: str) -> str:
    """The ``<html lang>`` the app writes for a browser locale."""
    return "zh-Hans" if locale.lower().startswith("zh") else "en"


def use_language(page, locale: str) -> None:  # type: ignore[no-untyped-def]
    """Switch the interface to ``locale`` with the switch in the header, as a user would: a
    signed-in user's stored preference wins over the browser's language (issue 7)."""
    from playwright.sync_api import expect

    wanted = html_lang(locale)
    if page.locator("html").get_attribute("lang") != wanted:
        page.locator("header form.lang-switch button[name=locale]").click()
        expect(page.locator("html")).to_have_attribute("lang", wanted)


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


# -- what the pages should say, computed by the app itself ----------------------------------


def in_locale(app, locale: str, show: Callable[[], Any]) -> Any:  # type: ignore[no-untyped-def]
    """``show()`` evaluated as the app would for a reader of ``locale`` (names of codes,
    dates), so tests assert the right language without copying translations."""
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(locale):
        return show()


def gettext_in(app, locale: str, message: str) -> str:  # type: ignore[no-untyped-def]
    from flask_babel import gettext

    return in_locale(app, locale, lambda: gettext(message))


def code_name(app, locale: str, kind: str, code: str) -> str:  # type: ignore[no-untyped-def]
    from expertmatch import i18n

    return in_locale(app, locale, lambda: i18n.code_name(kind, code))


def shown_date(app, locale: str, value: date, fmt: str = "medium") -> str:  # type: ignore[no-untyped-def]
    from flask_babel import format_date

    return in_locale(app, locale, lambda: format_date(value, fmt))


def app_today(app) -> date:  # type: ignore[no-untyped-def]
    """Today where the users are (the app's timezone), as the deadline rules count it."""
    from expertmatch.services.deadlines import local_today

    with app.test_request_context():
        return local_today()


def demo_experts() -> list[dict[str, Any]]:
    with (DEMO / "experts.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="session")
def demo_ids(live_app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Database ids of demo rows the page tests open: cases by reference (``EM-DEMO-C001``)
    and experts by their demo id (``E001``)."""
    from sqlalchemy import select

    from expertmatch.extensions import db
    from expertmatch.models import DisputeCase, ExpertProfile

    with live_app.app_context():
        ids = dict(db.session.execute(select(DisputeCase.reference, DisputeCase.id)).all())
        ids.update(db.session.execute(select(ExpertProfile.reference, ExpertProfile.id)).all())
    return ids
