"""The adviser, in Chromium on a 320 px phone, turns on "Tell me about to-dos" for a client; the
sweep finds an overdue to-do; My clients lists it. The pages are axe-clean and fit the screen,
and the client's history says, in plain words, that the adviser was told (issue 27 item 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from broker import clock, sweep
from broker.extensions import db
from broker.models import Todo
from tests.browser.conftest import NARROW_PHONE, assert_fits, axe_violations, new_page, sign_in_page
from tests.factories import bound, make_adviser, make_claimant, make_grant
from tests.lifecycle import senders

pytestmark = pytest.mark.browser


def test_the_adviser_watches_to_dos_on_a_small_phone(app, ctx, browser, live_server):
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    adviser.tell_by = "console"
    claimant = make_claimant("Alex Morgan")
    grant = make_grant(claimant, adviser, "todo:read")
    db.session.add(
        Todo(claimant_id=claimant.id, title="Upload", due_at=clock.now() - timedelta(days=1))
    )
    db.session.commit()
    grant_id, adviser_name = grant.id, adviser.account.username
    claimant_name = claimant.account.username
    db.session.rollback()  # hold no transaction while the live server works
    phone = new_page(browser, live_server, NARROW_PHONE, javascript=True)  # axe needs JavaScript
    try:
        sign_in_page(phone, adviser_name)
        phone.goto(f"/adviser/clients/{grant_id}")
        assert axe_violations(phone) == []
        phone.get_by_role("button", name="Tell me about to-dos").click()
        expect(phone.locator("#todos-watch")).to_contain_text(
            "We will tell you about to-dos that are due within 3 days or overdue for Alex Morgan"
        )

        sweep.run(now=clock.now(), sender=senders.Collecting(), services=bound(), checkpoint=False)
        db.session.rollback()

        phone.goto("/adviser/")
        told = phone.get_by_role(
            "table", name="What you were told about to-dos and payments, newest first"
        )
        expect(told).to_contain_text("Alex Morgan")
        expect(told).to_contain_text("A to-do is overdue")
        assert axe_violations(phone) == []
        assert_fits(phone)

        phone.context.clear_cookies()
        sign_in_page(phone, claimant_name)
        phone.goto("/history")
        expect(phone.locator("main")).to_contain_text(
            "Was told that a to-do is due soon or overdue"
        )
    finally:
        phone.context.close()
