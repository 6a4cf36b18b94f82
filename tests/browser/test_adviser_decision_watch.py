"""The adviser, in Chromium, turns on "Tell me when a decision arrives" for a client; a decision
arrives; My clients lists it with the appeal deadline, and Mark as seen clears it. The pages are
axe-clean, and the client's history, on a 320 px phone with JavaScript off, says the adviser was
told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import current_app
from playwright.sync_api import expect

from broker import clock, services
from broker.casework import appeals, decisions
from broker.extensions import db
from tests.browser.conftest import (
    LAPTOP,
    NARROW_PHONE,
    assert_fits,
    axe_violations,
    new_page,
    sign_in_page,
)
from tests.factories import make_adviser, make_claimant, make_grant

pytestmark = pytest.mark.browser


def test_the_adviser_watches_sees_the_deadline_and_marks_it_seen(app, ctx, browser, live_server):
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    claimant = make_claimant("Alex Morgan")
    grant = make_grant(claimant, adviser, "mr:read journal:read")
    grant_id, adviser_name = grant.id, adviser.account.username
    claimant_name = claimant.account.username
    db.session.rollback()  # hold no transaction while the live server works
    laptop = new_page(browser, live_server, LAPTOP, javascript=True)  # axe needs JavaScript
    phone = new_page(browser, live_server, NARROW_PHONE)
    try:
        sign_in_page(laptop, adviser_name)
        laptop.goto(f"/adviser/clients/{grant_id}")
        assert axe_violations(laptop) == []
        laptop.get_by_role("button", name="Tell me when a decision arrives").click()
        expect(laptop.locator("#decision-watch")).to_contain_text(
            "We will tell you when a new decision arrives for Alex Morgan"
        )

        decided = clock.uk_day(clock.now()) - timedelta(days=2)
        decisions.add_mr_decision(
            claimant,
            outcome="not_changed",
            decided_on=decided,
            subject="Limited capability for work",
            by="system:test",
            now=clock.now(),
            signer=services.of(current_app).tokens,
        )
        db.session.commit()
        db.session.rollback()

        laptop.goto("/adviser/")
        deadline = appeals.deadline(decided)
        new = laptop.get_by_role("table", name="New decisions")
        expect(new).to_contain_text("Alex Morgan")
        expect(new).to_contain_text(f"{deadline.day} {deadline:%B %Y}")
        assert axe_violations(laptop) == []
        new.get_by_role("button", name="Mark as seen").click()
        expect(laptop.get_by_role("table", name="New decisions")).to_have_count(0)

        sign_in_page(phone, claimant_name)
        phone.goto("/history")
        expect(phone.locator("main")).to_contain_text(
            "Was told about a new reconsideration decision: Limited capability for work"
        )
        assert_fits(phone)
    finally:
        laptop.context.close()
        phone.context.close()
