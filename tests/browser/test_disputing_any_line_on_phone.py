"""Issue 27 item 3, "This wasn't right" on ANY line: a history with a sign-in line, a call, a
day of DWP staff looks and a line of access fits a 320-pixel phone with every link, axe-clean,
in English and Welsh; a day of staff looks is disputed from its own link, and its form says the
day and how many times."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from broker import clock
from broker.casework import caller_checks
from broker.extensions import db
from broker.models import PasswordSignInOff
from broker.people import passkeys, records
from tests.browser.conftest import AXE_OPTIONS, NARROW_PHONE, new_page, switch_language
from tests.factories import make_adviser, make_claimant, make_grant, make_staff

pytestmark = pytest.mark.browser

WORDS = {
    "en": ("This wasn't right", "DWP staff looked at your consent record: 2 times", "Send it"),
    "cy": (
        "Doedd hyn ddim yn iawn",
        "Edrychodd staff DWP ar eich cofnod caniatâd: 2 waith",
        "Anfon",
    ),
}


@pytest.fixture
def alex(app, ctx):  # noqa: ANN001, ANN201
    """Alex's history holds one line of each kind."""
    claimant = make_claimant("Alex Morgan")
    make_grant(claimant, make_adviser("Priya Shah", "Northside Citizens Advice"))
    staff = make_staff("Jordan Lee")
    now = clock.now()
    for _ in range(2):
        records.audit_read(claimant, staff, action=records.RECORD_READ, now=now)
    caller = caller_checks.Caller(f"staff:{staff.id}", f"staff:{staff.id}", "Jordan Lee", "DWP")
    caller_checks.start(claimant.id, caller, now=now)
    db.session.add(PasswordSignInOff(account_id=claimant.id, since=now))
    passkeys.turn_passwords_on(claimant.account, now)  # a sign-in line: passwords back on
    db.session.commit()
    return claimant


def _fits_and_is_clean(page) -> None:  # noqa: ANN001
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
    assert Axe().run(page, options=AXE_OPTIONS).response["violations"] == []


@pytest.mark.parametrize("language", ["en", "cy"])
def test_every_line_has_the_link_and_a_days_looks_is_disputed(browser, live_server, alex, language):
    link, day_line, send = WORDS[language]
    page = new_page(browser, live_server, NARROW_PHONE, javascript=True)
    page.goto("/sign-in")
    if language == "cy":
        switch_language(page, "Cymraeg")
    page.locator("#username").fill(alex.account.username)
    page.locator("#password").fill("pw-for-tests")
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_load_state("load")
    page.goto("/history")

    for part in ("#staff-looks + p + ol", "#calls + ol", "#sign-in-history ~ *"):
        assert page.locator(part).get_by_role("link", name=link).count() >= 1, part
    _fits_and_is_clean(page)
    page.locator("#staff-looks + p + ol").get_by_role("link", name=link).click()
    page.wait_for_load_state("load")

    assert day_line in page.locator(".govuk-inset-text").inner_text()
    _fits_and_is_clean(page)
    page.locator("#words").fill("Nobody from DWP rang me that day")
    page.get_by_role("button", name=send).click()
    page.wait_for_load_state("load")
    assert day_line in page.locator("main").inner_text()
    _fits_and_is_clean(page)
    page.context.close()
