"""Pages anyone can open: accessible in both languages, keyboard-usable."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh-Hans")])
@pytest.mark.parametrize(
    "path, name", [("/", "welcome"), ("/auth/login", "login"), ("/auth/register", "register")]
)
def test_public_pages_are_accessible(page_for, locale, lang, path, name):  # type: ignore[no-untyped-def]
    page = page_for(locale)
    page.goto(path)
    assert page.locator("html").get_attribute("lang") == lang
    check_accessibility(page, f"public-{name}-{lang}")


def test_skip_link_and_keyboard_sign_in(page_for):  # type: ignore[no-untyped-def]
    page = page_for("en-GB")
    page.goto("/auth/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    page.locator("#email").focus()
    page.keyboard.type("nobody@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong-password-1")
    page.keyboard.press("Enter")
    expect(page.locator("#password-error")).to_contain_text("Wrong email or password.")
    expect(page.locator("#email")).to_have_value("nobody@example.com")
