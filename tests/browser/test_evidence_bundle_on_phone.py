"""The adviser, in Chromium on a 320 px phone, ticks a journal entry and a decision and makes an
evidence bundle for an appeal; the claimant then opens it from their history, in English and in
Welsh. Every page is axe-clean and fits the screen (issue 27 item 1)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from broker.extensions import db
from tests.browser.conftest import (
    NARROW_PHONE,
    axe_violations,
    new_page,
    sign_in_page,
    snap,
    switch_language,
)
from tests.factories import make_adviser, make_claimant, make_decision, make_entry, make_grant

pytestmark = pytest.mark.browser


def fits(page) -> None:  # noqa: ANN001
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]


def test_an_evidence_bundle_is_made_and_read_on_a_small_phone(app, ctx, browser, live_server):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, adviser, "mr:read journal:read")
    make_decision(claimant)
    make_entry(claimant, "Fit note sent to the work coach")
    grant_id, adviser_name = grant.id, adviser.account.username
    claimant_name = claimant.account.username
    db.session.rollback()  # hold no transaction while the live server works
    phone = new_page(browser, live_server, NARROW_PHONE, javascript=True)  # axe needs JavaScript
    try:
        sign_in_page(phone, adviser_name)
        phone.goto(f"/adviser/clients/{grant_id}")
        phone.get_by_role("link", name="Make an evidence bundle for an appeal (signed)").click()
        expect(phone.locator("#who-can-read")).to_contain_text(
            "Anyone who has the bundle's check code can read everything in it"
        )
        fits(phone)
        phone.get_by_role("button", name="Make the evidence bundle").click()
        expect(phone.locator(".govuk-error-summary")).to_contain_text(
            "Choose at least one journal entry or decision"
        )
        fits(phone)
        phone.get_by_label("Fit note sent to the work coach", exact=False).check()
        phone.locator("input[name=mr_decisions]").first.check()
        phone.get_by_role("button", name="Make the evidence bundle").click()
        expect(phone.locator("h1")).to_have_text("Evidence bundle for an appeal")
        expect(phone.locator(".app-notice")).to_contain_text(
            "Journal entry: Fit note sent to the work coach"
        )
        snap(phone, "evidence-bundle-adviser")
        fits(phone)

        phone.context.clear_cookies()
        sign_in_page(phone, claimant_name)
        phone.goto("/history")
        phone.get_by_role("link", name="See it").first.click()
        expect(phone.locator("h1")).to_have_text("Evidence bundle for an appeal")
        fits(phone)
        switch_language(phone, "Cymraeg")
        expect(phone.locator("h1")).to_have_text("Bwndel tystiolaeth ar gyfer apêl")
        expect(phone.locator(".app-notice")).to_contain_text("Cofnodion a phenderfyniadau ynddo")
        snap(phone, "evidence-bundle-claimant-welsh")
        fits(phone)
    finally:
        phone.context.close()
