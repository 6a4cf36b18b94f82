"""A claimant says a line of their history was wrong (issue 27 item 3): from the history page to
the form, an error for empty words, the confirmation, and the history listing it, on a 320-pixel
phone in English and Welsh, without sideways scrolling, and axe-clean on each page."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from broker.extensions import db
from tests.browser.conftest import AXE_OPTIONS, NARROW_PHONE, assert_fits, new_page, switch_language
from tests.factories import make_adviser, make_claimant, make_grant

pytestmark = pytest.mark.browser

WORDS = {
    "en": ("This wasn't right", "Tell us what was wrong", "We have your message"),
    "cy": (
        "Doedd hyn ddim yn iawn",
        "Dywedwch wrthym beth oedd yn anghywir",
        "Mae eich neges gennym",
    ),
}


PAUSED = {
    "en": "We have paused Priya Shah's access. They cannot see your journal for now.",
    "cy": "Rydym wedi oedi mynediad Priya Shah. Ni allan nhw weld eich dyddlyfr am y tro.",
}


@pytest.fixture
def alex(app, ctx):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    grant = make_grant(claimant, make_adviser("Priya Shah", "Northside Citizens Advice"))
    db.session.commit()
    return claimant, grant


def _fits_and_is_clean(page) -> None:  # noqa: ANN001
    assert_fits(page)
    assert Axe().run(page, options=AXE_OPTIONS).response["violations"] == []


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_form_and_its_confirmation_on_a_small_phone(browser, live_server, alex, language):
    claimant, _grant = alex
    link, empty, done = WORDS[language]
    page = new_page(browser, live_server, NARROW_PHONE, javascript=True)
    page.goto("/sign-in")
    if language == "cy":
        switch_language(page, "Cymraeg")
    page.locator("#username").fill(claimant.account.username)
    page.locator("#password").fill("pw-for-tests")
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_load_state("load")
    page.goto("/history")

    page.get_by_role("link", name=link).first.click()
    page.wait_for_load_state("load")
    _fits_and_is_clean(page)
    page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state("load")
    assert empty in page.locator(".govuk-error-summary").inner_text()
    _fits_and_is_clean(page)
    page.locator("#words").fill("I never asked them to look at my journal")
    page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state("load")

    assert page.locator("h1").inner_text().strip() == done
    _fits_and_is_clean(page)
    assert PAUSED[language] in page.locator("main").inner_text()
    page.goto("/history")  # the history lists it now, and still fits
    assert page.locator("#disputes").is_visible()
    _fits_and_is_clean(page)
    page.context.close()
