"""Batch assignment (issue 17) in a real browser: a coordinator of the Shenzhen centre picks
cases from the queue, computes a plan, reviews it beside the one-case-at-a-time result, and
applies it — once in English and once in Chinese, each page checked with axe-core
(test-artifacts/screenshots/plan-*).

Each run plans two cases of the centre that no other browser test uses (not C001 / C011), so
the modules still run in any order.
"""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_accessibility, gettext_in

COORDINATOR = "coord.gd-sz@demo.expertmatch.example"
KEEP_OUT = ("EM-DEMO-C001", "EM-DEMO-C011")


def _choose_two_cases(page: Page) -> list[str]:
    boxes = page.locator("#cases-group input[type=checkbox]")
    chosen: list[str] = []
    for i in range(boxes.count()):
        box = boxes.nth(i)
        label = page.locator(f"label[for='{box.get_attribute('id')}']").inner_text()
        reference = label.split(" · ")[0]
        if len(chosen) < 2 and reference not in KEEP_OUT:
            box.check()
            chosen.append(reference)
        else:
            box.uncheck()
    assert len(chosen) == 2, "the demo centre has at least two plannable cases"
    return chosen


def _plan_and_apply(app: Flask, page: Page, locale: str, tag: str) -> None:
    def say(message: str) -> str:
        return gettext_in(app, locale, message)

    page.goto("/coordinator/")
    page.get_by_role("link", name=say("Plan assignments for several cases")).click()
    expect(page.locator("h1")).to_have_text(say("Plan assignments"))
    check_accessibility(page, f"plan-{tag}-01-choose")
    chosen = _choose_two_cases(page)
    page.get_by_label(say("The worst-served case first, then the total")).check()
    page.get_by_role("button", name=say("Compute the plan")).click()
    expect(page).to_have_url(re.compile(r"/coordinator/plans/\d+$"))
    heading = say("This plan beside one case at a time")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    rows = page.locator("table.plan-rows tbody tr")
    expect(rows).to_have_count(2)
    for reference in chosen:
        expect(page.locator("table.plan-rows")).to_contain_text(reference)
    check_accessibility(page, f"plan-{tag}-02-review")
    page.get_by_role("button", name=say("Apply the plan: send the proposals")).click()
    expect(page.locator(".flash, [role=status]").first).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        say("The plan was applied: the experts have their proposals.")
    )
    check_accessibility(page, f"plan-{tag}-03-applied")
    # The proposals are on the cases, in the assignment state machine.
    page.locator("table.plan-rows tbody tr").first.locator("th a").click()
    expect(page.locator("#assignments + table, #assignments ~ table").first).to_contain_text(
        say("Proposed")
    )


def test_a_coordinator_plans_reviews_and_applies_in_both_languages(live_app, page_as) -> None:  # type: ignore[no-untyped-def]
    for locale, tag in (("en-GB", "en"), ("zh-CN", "zh")):
        page = page_as(COORDINATOR, locale, "/coordinator/")
        _plan_and_apply(live_app, page, locale[:2] if locale.startswith("zh") else "en", tag)
