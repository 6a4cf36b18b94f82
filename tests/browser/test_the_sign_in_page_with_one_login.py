"""The sign-in page with GOV.UK One Login and passkeys both on, in Chromium (which can use
passkeys, so their panel shows), in English and Welsh, on a 320-pixel phone: One Login first,
then one "Or" heading, then the passkey and the password; no second "Or" heading, and axe-core
finds no WCAG 2.0-2.2 A or AA violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask

from tests.browser.conftest import AXE_OPTIONS, NARROW_PHONE, assert_fits, new_page, switch_language

pytestmark = pytest.mark.browser

WORDS = {  # the page's h1, then its one "Or" heading
    "en": ("Sign in", "Or sign in another way"),
    "cy": ("Mewngofnodi", "Neu mewngofnodwch mewn ffordd arall"),
}


@pytest.mark.parametrize("language", ["en", "cy"])
def test_one_login_then_one_or_then_passkey_and_password(
    app: Flask,
    oidc_app: Flask,
    oidc_live_server: str,
    browser,
    language: str,  # noqa: ANN001
):
    page = new_page(browser, oidc_live_server, NARROW_PHONE, javascript=True)
    try:
        page.goto("/sign-in")
        if language == "cy":
            switch_language(page, "Cymraeg")
        passkey = page.locator("[data-passkey-start]")
        passkey.wait_for(state="visible")

        headings = [h.strip() for h in page.locator("h1:visible, h2:visible").all_inner_texts()]
        title, separator = WORDS[language]
        assert headings[:2] == [title, separator], headings
        assert [h for h in headings if h.startswith(("Or ", "Neu "))] == [separator]

        one_login = page.locator('a[href^="/one-login/start"]')
        or_heading = page.get_by_role("heading", level=2, name=separator)
        password = page.locator('input[name="password"]')
        tops = [item.bounding_box()["y"] for item in (one_login, or_heading, passkey, password)]
        assert tops == sorted(tops), tops
        assert page.locator("html").get_attribute("lang") == language
        assert_fits(page)
        violations = [
            f"{rule['id']} {[n['target'] for n in rule['nodes']]}"
            for rule in Axe().run(page, options=AXE_OPTIONS).response["violations"]
        ]
        assert violations == []
    finally:
        page.context.close()
