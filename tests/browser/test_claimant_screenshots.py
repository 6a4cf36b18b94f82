"""Screenshots of the main claimant pages on a 375-pixel phone, in English and Welsh.

`make screenshots` writes them to screenshots/ (SCREENSHOTS names the folder; git ignores it);
in the ordinary suite they go to a temporary folder. Either way each page must fit the phone's
width: nothing scrolls sideways."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.accessibility.scene import build, pages
from tests.browser.conftest import PHONE, assert_fits, new_page, switch_language

pytestmark = pytest.mark.browser

MAIN_PAGES = {
    "sign-in",
    "home",
    "access",
    "give-access",
    "confirm-access",
    "confirm-revoke",
    "stop-all",
    "history",
    "review",
    "device-consent",
    "letters",  # issue 15
    "letter",
    "contact-preferences",
}


@pytest.mark.parametrize("language", ["en", "cy"])
def test_main_claimant_pages_fit_a_phone_and_are_photographed(
    app, ctx, browser, live_server, frozen_clock, tmp_path, language
):
    folder = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    scene = build(app, frozen_clock)
    page = new_page(browser, live_server, PHONE)
    page.goto("/sign-in")
    if language == "cy":
        switch_language(page, "Cymraeg")
    taken = []
    for claimant_page in sorted(pages(app, scene), key=lambda p: p.signed_in):
        if claimant_page.name not in MAIN_PAGES:
            continue
        if claimant_page.signed_in and page.locator("form[action='/sign-out']").count() == 0:
            page.goto("/sign-in")
            page.locator("#username").fill(scene.claimant.account.username)
            page.locator("#password").fill("pw-for-tests")
            page.locator("form[action='/sign-in'] button[type=submit]").click()
        claimant_page.open(page, scene)
        assert_fits(page)
        path = folder / f"{language}-{claimant_page.name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
    page.context.close()

    assert len(taken) >= 8
    assert all(p.stat().st_size > 0 for p in taken)
