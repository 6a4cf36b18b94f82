"""Proof of lodging on a 320-pixel phone (issue 27 item 1): the claimant presses Send it, the
page that follows gives the check code and leads to the proof, which fits the screen (its long
hashes wrap) and is axe-clean in English and Welsh; the code checks out at /verify."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import (
    AXE_OPTIONS,
    NARROW_PHONE,
    new_page,
    sign_in_page,
    switch_language,
)
from tests.browser.test_claimant_checks_a_draft_on_the_phone import waiting  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "cy"])
def test_send_it_leads_to_a_proof_that_fits_the_phone_and_checks_out(
    browser,
    live_server,
    waiting,  # noqa: F811
    language,
):
    claimant, jti = waiting
    page = new_page(browser, live_server, NARROW_PHONE, javascript=True)
    sign_in_page(page, claimant.account.username)
    page.goto("/")
    if language == "cy":
        switch_language(page, "Cymraeg")
    page.locator(".app-draft button[type=submit]").first.click()  # Send it / Anfon

    code = page.locator("#check-code").inner_text()
    assert len(code) == 11 and code[5] == "-"
    assert Axe().run(page, options=AXE_OPTIONS).response["violations"] == []
    page.locator("main a[href^='/documents/']").click()
    page.wait_for_load_state("load")
    assert page.locator("#check-code").inner_text() == code
    assert jti in page.inner_text("main")
    title = {"en": "Proof of lodging", "cy": "Prawf o gyflwyno"}[language]
    assert page.get_by_role("heading", level=1).inner_text().startswith(title)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
    assert Axe().run(page, options=AXE_OPTIONS).response["violations"] == []
    page.goto(f"/verify?code={code}")
    assert jti in page.inner_text("main")
    page.context.close()
