"""Every main page of every role, in English and Chinese, checked by axe-core (no serious or
critical violation), with one h1 and the right ``<html lang>``; and the intake form by
keyboard only. Screenshots: test-artifacts/screenshots/page-<role>-<page>-<lang>.png.

The pages show demo rows (the Lianxin SEP case EM-DEMO-C001 of centre GD-SZ, the expert
E001), so this module does not depend on the journeys having run. Pages of blueprints that
are not registered yet are skipped, not failed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, html_lang, response_status

ACCOUNTS = {
    "enterprise": "ipr@lianxin-comm.example.cn",
    "expert": "k.albers@example-law.de",
    "coordinator": "coord.gd-sz@demo.expertmatch.example",
    "network": "network@demo.expertmatch.example",
    "admin": "admin@demo.expertmatch.example",
}
CASE = "EM-DEMO-C001"  # Lianxin's LTE suit in Munich, routed to GD-SZ
TWO_EXPERTS = ["E001", "E006"]  # two German SEP experts ranked for it

# (role, page name, endpoint, arguments): a demo reference as a value means its row's id.
PAGES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("enterprise", "landing", "main.landing", {}),
    ("enterprise", "new-case", "cases.new_case", {}),
    ("enterprise", "my-cases", "cases.my_cases", {}),
    ("enterprise", "case", "cases.case_detail", {"case_id": CASE}),
    ("enterprise", "notifications", "main.notifications", {}),
    ("expert", "landing", "main.landing", {}),
    ("expert", "profile", "experts.edit_profile", {}),
    ("expert", "my-cases", "experts.my_cases", {}),
    ("expert", "notifications", "main.notifications", {}),
    ("coordinator", "landing", "main.landing", {}),
    ("coordinator", "queue", "coordinator.queue", {}),
    ("coordinator", "case-ranking", "coordinator.case_detail", {"case_id": CASE}),
    ("coordinator", "compare", "coordinator.compare", {"case_id": CASE, "expert": TWO_EXPERTS}),
    ("coordinator", "audit-log", "coordinator.audit_log", {}),
    ("coordinator", "notifications", "main.notifications", {}),
    ("coordinator", "pool-directory", "pool.experts", {}),
    ("coordinator", "expert-detail", "pool.expert_detail", {"expert_id": "E001"}),
    ("coordinator", "dashboard", "reports.dashboard", {}),
    ("coordinator", "jobs", "jobs.index", {}),
    ("network", "landing", "main.landing", {}),
    ("admin", "landing", "main.landing", {}),
    ("admin", "jobs", "jobs.index", {}),
]
LOCALES = ("en-GB", "zh-CN")


def _resolve(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, list):
        return [_resolve(v, ids) for v in value]
    return ids.get(value, value) if isinstance(value, str) else value


def url_of(app, endpoint: str, arguments: dict[str, Any], ids: dict[str, int]) -> str:  # type: ignore[no-untyped-def]
    from flask import url_for

    with app.test_request_context():
        return url_for(endpoint, **{k: _resolve(v, ids) for k, v in arguments.items()})


# Locale first, then role: a user's stored language changes once per role and locale.
@pytest.mark.parametrize(
    "locale, role, name, endpoint, arguments",
    [(locale, *page) for locale in LOCALES for page in PAGES],
    ids=[f"{page[0]}-{page[1]}-{locale[:2]}" for locale in LOCALES for page in PAGES],
)
def test_main_page_is_accessible(  # type: ignore[no-untyped-def]
    page_as, live_app, demo_ids, locale, role, name, endpoint, arguments
):
    if endpoint not in live_app.view_functions:
        pytest.skip(f"{endpoint} is not built yet")
    url = url_of(live_app, endpoint, arguments, demo_ids)
    page = page_as(ACCOUNTS[role], locale, url)
    assert response_status(page) == 200, f"{endpoint}: {page.url}"
    assert urlsplit(page.url).path == urlsplit(url).path, f"{url} went to {page.url}"
    expect(page.locator("html")).to_have_attribute("lang", html_lang(locale))
    expect(page.locator("h1")).to_have_count(1)
    if name == "case-ranking":
        expect(page.locator("table.ranking tbody tr").first).to_be_visible()
    check_accessibility(page, f"page-{role}-{name}-{html_lang(locale)}")


FOCUS_KEY = """() => {
  const el = document.activeElement;
  if (!el || !el.closest('form.intake')) return null;
  return el.type === 'radio' ? 'radio:' + el.name : (el.id || el.name);
}"""

FORM_CONTROLS = """() => {
  const keys = [];
  for (const el of document.querySelectorAll(
      'form.intake input, form.intake select, form.intake textarea, form.intake button')) {
    if (el.type === 'hidden' || el.disabled) continue;
    const key = el.type === 'radio' ? 'radio:' + el.name : (el.id || el.name);
    if (keys[keys.length - 1] !== key) keys.push(key);  // a radio group is one tab stop
  }
  return keys;
}"""


def test_intake_form_by_keyboard(page_as, live_app):  # type: ignore[no-untyped-def]
    """Tab from the top of the page reaches every field and both submit buttons in reading
    order; a failed submit puts the focus on the error summary, the user's input kept."""
    page = page_as(ACCOUNTS["enterprise"], "en-GB", url_of(live_app, "cases.new_case", {}, {}))
    controls = page.evaluate(FORM_CONTROLS)
    assert {"title", "description", "counterparties-0-name_en", "save_draft", "submit_case"} <= set(
        controls
    )

    page.evaluate("document.activeElement && document.activeElement.blur()")
    reached: list[str] = []
    for _ in range(len(controls) + 40):  # the header's links and buttons come first
        page.keyboard.press("Tab")
        key = page.evaluate(FOCUS_KEY)
        if key and (not reached or reached[-1] != key):
            reached.append(key)
        if key == "submit_case":
            break
    assert reached == controls

    page.locator("#title").fill("")
    page.locator("#description").fill("Kept after the error.")
    page.locator("#submit_case").focus()
    page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(page.locator("#description")).to_have_value("Kept after the error.")
    first_link = summary.locator("a").first
    target = first_link.get_attribute("href") or ""
    expect(page.locator(target)).to_have_count(1)
    expect(page.locator(f"{target}[aria-invalid=true]")).to_have_count(1)
    check_accessibility(page, "page-enterprise-new-case-errors-en")
