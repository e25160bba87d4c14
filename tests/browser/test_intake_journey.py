"""Issue 16 in a real browser: an enterprise writes only a Chinese description of trademark
squatting in Mexico, sees "trademark" and "Mexico" suggested as it types (with the words they
came from, announced in an aria-live region), keeps them and submits; the coordinator of its
centre sees them marked as suggested and confirmed by the enterprise."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, code_name, gettext_in, sign_in

ENTERPRISE = "ipr@lianxin-comm.example.cn"  # Guangdong: routed to GD-SZ
COORDINATOR = "coord.gd-sz@demo.expertmatch.example"
TITLE = "我们的品牌出问题了"
DESCRIPTION = "我们的前经销商在墨西哥把我们的品牌抢注了，现在告诉当地商店卖我们的空调需要他同意。"


def test_chinese_description_gets_trademark_and_mexico_suggested_and_kept(  # type: ignore[no-untyped-def]
    page_for, live_app
):
    app = live_app
    page = page_for("zh-CN")
    sign_in(page, ENTERPRISE)
    page.goto("/cases/new")
    page.locator("#our_role").select_option("claimant")
    page.locator("#title").fill(TITLE)
    # Typed, not pasted: the suggestions follow the text as it grows.
    page.locator("#description").press_sequentially(DESCRIPTION, delay=5)

    panel = page.locator("#intake-suggestions")
    expect(panel).to_have_attribute("aria-live", "polite")
    trademark = code_name(app, "zh", "dispute_type", "trademark")
    mexico = code_name(app, "zh", "jurisdiction", "MX")
    # The first reading of the process trains the reader (about a second, more on a busy box).
    expect(panel).to_contain_text(trademark, timeout=30000)
    expect(panel).to_contain_text(mexico)
    expect(panel).to_contain_text("抢注")  # the words the value came from
    expect(page.locator("#dispute_type")).to_have_value("trademark")
    expect(page.locator('input[name="jurisdictions"][value="MX"]')).to_be_checked()
    # The industry came pre-filled from the organisation's account: a suggestion never
    # overwrites a field that already has a value.
    expect(page.locator("#industry")).to_have_value("telecom")
    check_accessibility(page, "intake-suggestions-zh")

    # The conflict check needs the other side's name, which the text does not give.
    page.locator("#counterparties-0-name_zh").fill("墨西哥太阳分销公司")
    page.locator("#consent_share").check()
    page.locator("#consent_conflict_check").check()
    page.locator("#submit_case").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    case_id = int(re.search(r"/cases/(\d+)$", page.url).group(1))

    coordinator = page_for("zh-CN")
    sign_in(coordinator, COORDINATOR)
    coordinator.goto(f"/coordinator/cases/{case_id}")
    table = coordinator.locator("table.inferred")
    kept = gettext_in(app, "zh", "Suggested and confirmed by the enterprise")
    for field, name in (("dispute_type", trademark), ("jurisdictions", mexico)):
        row = table.locator(f'tr[data-field="{field}"]')
        expect(row).to_contain_text(name)
        expect(row.locator(".inference-status")).to_have_text(kept)
    check_accessibility(coordinator, "intake-coordinator-inferred-zh")
