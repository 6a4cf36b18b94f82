"""On a 320-pixel phone with JavaScript off, a claimant gives an adviser access "until my
reconsideration is decided"; the card says so, with the latest date. The pages it uses are
axe-clean in English and Welsh."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from broker import i18n
from broker.consent import grants
from broker.extensions import db
from broker.models import Grant
from tests.browser.conftest import (
    AXE_OPTIONS,
    NARROW_PHONE,
    assert_fits,
    new_page,
    sign_in_page,
    switch_language,
)
from tests.factories import make_adviser, make_claimant

pytestmark = pytest.mark.browser


def give_case_tied(phone, adviser_code: str) -> None:  # noqa: ANN001
    phone.goto("/access/new")
    phone.locator("#adviser_code").fill(adviser_code)
    phone.locator("#scopes").check()
    phone.locator("#months-6").check()
    phone.locator("#until_decided").check()
    phone.locator("#purpose").fill("Help with my reconsideration")
    phone.locator("#relationship").fill("My welfare rights adviser")
    phone.locator("form[action='/access/new'] button[type=submit]").click()


def test_claimant_gives_access_until_their_reconsideration_is_decided(
    app, ctx, browser, live_server, tmp_path
):
    # `SCREENSHOTS=screenshots pytest this file` keeps the photographs, like make screenshots.
    folder = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    db.session.rollback()  # hold no transaction open while the live server answers
    phone = new_page(browser, live_server, NARROW_PHONE)  # JavaScript off
    sign_in_page(phone, claimant.account.username)

    phone.goto("/access/new")
    choice = phone.get_by_label("Until my reconsideration is decided")
    expect(choice).not_to_be_checked()
    expect(phone.get_by_text("It will end 31 days after the decision.")).to_be_visible()
    give_case_tied(phone, adviser.code)
    phone.screenshot(path=str(folder / "en-case-tied-check.png"), full_page=True)

    expect(phone.get_by_role("heading", level=1)).to_have_text("Check before you give access")
    expect(
        phone.get_by_text("Until your reconsideration is decided, and no later than")
    ).to_be_visible()
    phone.get_by_role("button", name="Give access").click()

    expect(phone.get_by_role("alert")).to_contain_text("Priya Shah can now see what you chose")
    db.session.rollback()  # a fresh read: the live server committed it
    grant = db.session.scalar(db.select(Grant).where(Grant.claimant_id == claimant.id))
    assert grant.until_event == grants.MR_DECIDED
    latest = i18n.day(grant.ends_at)
    expect(
        phone.get_by_text(f"Until your reconsideration is decided, and no later than {latest}")
    ).to_be_visible()
    phone.goto("/")
    expect(
        phone.get_by_text(
            "Priya Shah, Northside Citizens Advice. Until your reconsideration is decided, "
            f"and no later than {latest}"
        )
    ).to_be_visible()
    assert_fits(phone)  # nothing scrolls sideways at 320 px
    phone.screenshot(path=str(folder / "en-case-tied-home.png"), full_page=True)
    switch_language(phone, "Cymraeg")
    expect(
        phone.get_by_text("Hyd nes y gwneir penderfyniad ar eich ailystyriaeth, a dim hwyrach na")
    ).to_be_visible()
    phone.screenshot(path=str(folder / "cy-case-tied-home.png"), full_page=True)
    phone.goto("/access/new")
    expect(phone.get_by_label("Hyd nes y gwneir penderfyniad ar fy ailystyriaeth")).to_be_visible()
    phone.locator("#until_decided").check()
    phone.screenshot(path=str(folder / "cy-case-tied-give-access.png"), full_page=True)
    switch_language(phone, "English")
    phone.locator("#until_decided").check()
    phone.screenshot(path=str(folder / "en-case-tied-give-access.png"), full_page=True)
    phone.context.close()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_case_tied_pages_have_no_wcag_a_or_aa_violations(
    app, ctx, browser, live_server, language
):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    username, code = claimant.account.username, adviser.code
    db.session.rollback()
    page = new_page(browser, live_server, NARROW_PHONE, javascript=True)  # axe itself needs JS
    page.goto("/sign-in")
    if language == "cy":
        switch_language(page, "Cymraeg")
    page.locator("#username").fill(username)
    page.locator("#password").fill("pw-for-tests")
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    axe = Axe()
    found = []

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == language
        for rule in axe.run(page, options=AXE_OPTIONS).response["violations"]:
            found.append(f"{name}: {rule['id']} {[n['target'] for n in rule['nodes']]}")

    page.goto("/access/new")
    check("give access")
    give_case_tied(page, code)
    check("check answers")
    page.locator("input[name=confirmed]").locator("xpath=..").locator(
        "button[type=submit]"
    ).first.click()
    check("who can see your journal")
    page.goto("/")
    check("home")
    page.context.close()
    assert found == []
