"""Naming a nominated contact on a 320-pixel phone with JavaScript off (issue 23): an address that
is not an email or a UK mobile is refused with what was typed kept, the check page says exactly
what goes where, and the code they get is typed in on "Who can see your journal". A relative's
request is answered on the same phone. Nothing scrolls sideways."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from broker import clock
from broker.extensions import db
from broker.messages import contact_requests
from broker.models import ContactAddress, ContactRequest, OutboxMessage
from tests.browser.conftest import NARROW_PHONE, assert_fits, new_page, sign_in_page
from tests.factories import make_claimant

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")


def fits(page, name: str) -> None:  # noqa: ANN001
    assert_fits(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/contact-{name}.png", full_page=True)


def test_a_claimant_names_a_contact_and_types_in_their_code_on_a_small_phone(
    ctx, browser, live_server
):
    claimant = make_claimant("Alex Morgan")
    username, claimant_id = claimant.account.username, claimant.id
    db.session.rollback()
    page = new_page(browser, live_server, NARROW_PHONE)  # JavaScript off
    sign_in_page(page, username)

    page.goto("/contact/new")
    page.get_by_label("Their full name").fill("Jo Morgan")
    page.get_by_label("Who are they to you?").fill("My daughter")
    page.get_by_label("Letters and messages").check()
    page.get_by_label("Their email address or UK mobile number").fill("07700 90")
    page.get_by_label("Letters from DWP").check()
    page.get_by_label("3 months").check()
    page.get_by_label("Why should we contact them?").fill("I find letters hard")
    page.get_by_role("button", name="Continue").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a UK mobile number, like 07700 900 982")
    expect(page.locator("#address")).to_have_value("07700 90")  # what was typed is kept
    expect(page.get_by_label("Letters from DWP")).to_be_checked()
    fits(page, "address-error")
    page.locator("#address").fill("07700 900 123")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check before we contact them")
    expect(page.locator("main")).to_contain_text("We send a copy of these to +447700900123:")
    expect(page.locator(".app-copies")).to_have_text(re.compile(r"^\s*Letters from DWP\s*$"))
    fits(page, "check")
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_label("Enter the code we sent to Jo Morgan")).to_be_visible()
    fits(page, "code")
    db.session.rollback()
    body = db.session.scalar(
        db.select(OutboxMessage.body).where(OutboxMessage.kind == "contact_code")
    )
    code = re.search(r"\b\d{6}\b", body).group(0)
    page.get_by_label("Enter the code we sent to Jo Morgan").fill(code)
    page.get_by_role("button", name="Check the code").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "We will send Jo Morgan copies of what you chose."
    )
    fits(page, "confirmed")
    db.session.rollback()
    [address] = db.session.scalars(
        db.select(ContactAddress).where(ContactAddress.claimant_id == claimant_id)
    ).all()
    assert address.confirmed_at is not None


def test_a_claimant_says_yes_to_a_relatives_request_on_a_small_phone(ctx, browser, live_server):
    claimant = make_claimant("Alex Morgan")
    request = contact_requests.waiting_for_demo(
        claimant,
        name="Chris Morgan",
        relationship="Brother",
        address="chris@example.com",
        answer_code="BCDF-GHJK",
        since=clock.now(),
    )
    db.session.commit()
    username, request_id = claimant.account.username, request.id
    db.session.rollback()
    page = new_page(browser, live_server, NARROW_PHONE)
    sign_in_page(page, username)

    expect(page.locator("#contact-requests")).to_contain_text("Waiting since today")
    fits(page, "home-request")
    page.locator("#contact-requests").get_by_role("link", name=re.compile("^Answer")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Chris Morgan asks to be your contact"
    )
    page.get_by_label("Their code").fill("bcdf ghjk")
    page.get_by_label("3 months").check()
    page.get_by_label("Why should we contact them?").fill("Chris helps me with letters")
    fits(page, "answer")
    page.get_by_role("button", name="Yes, make them my contact").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Chris Morgan is now your contact."
    )
    db.session.rollback()
    assert db.session.get(ContactRequest, request_id).status == "approved"
