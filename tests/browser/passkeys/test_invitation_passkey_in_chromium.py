"""Issue 25 in real Chromium, with the DevTools Protocol's virtual authenticator: an invitee
opens their link, gives their name and presses "Use a passkey" (offered before the password);
the browser makes the passkey, the adviser is signed in with password sign-in off, and later
signs in with the passkey alone. A cancelled ceremony makes nothing and the link still works.

The virtual authenticator and the localhost origin come from this folder's conftest.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from broker import clock
from broker.extensions import db
from broker.models import Account
from broker.people import invitations, passkeys
from tests.agencies.helpers import make_agency
from tests.browser.conftest import NARROW_PHONE, new_page, open_menu

pytestmark = pytest.mark.browser


def _link(email: str) -> str:
    agency = make_agency()
    _, token = invitations.invite(agency.org, email, by="test", now=clock.now())
    db.session.commit()
    return f"/invitations/{token}"


def _account(email: str) -> Account | None:
    db.session.rollback()  # see what the live server committed
    return db.session.scalar(db.select(Account).where(Account.username == email))


def test_an_invitee_joins_with_a_passkey_and_signs_in_with_it_alone(app, ctx, page):
    link = _link("sam@nsa.example")
    page.goto(link)
    passkey_button = page.get_by_role("button", name="Use a passkey")
    password_button = page.get_by_role("button", name="Create my account")
    expect(passkey_button).to_be_visible()
    above = passkey_button.bounding_box()["y"] < password_button.bounding_box()["y"]
    assert above, "the passkey is offered first"

    # No name yet: the ceremony does not start.
    passkey_button.click()
    expect(page.get_by_text("Enter your full name").first).to_be_visible()
    assert _account("sam@nsa.example") is None

    page.get_by_label("Your full name").fill("Sam Okafor")
    passkey_button.click()
    page.wait_for_url(re.compile("/adviser/$"))
    expect(page.get_by_text("Your account is ready")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Your adviser code is NSA-\d{4}"))).to_be_visible()

    account = _account("sam@nsa.example")
    assert account is not None and account.name == "Sam Okafor"
    assert passkeys.passwords_off(account.id)
    credentials = page.devtools.send(
        "WebAuthn.getCredentials", {"authenticatorId": page.authenticator_id}
    )["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]
    assert credentials[0]["rpId"] == "localhost"

    # Signed out, the passkey alone (no email, no password) signs the adviser back in.
    open_menu(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile("/signed-out$"))
    page.goto("/sign-in")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile("/adviser/$"))
    page.goto(link)
    expect(page.get_by_text("It has already been used")).to_be_visible()


def test_a_cancelled_passkey_makes_nothing_and_the_password_still_works(app, ctx, page):
    link = _link("tam@nsa.example")
    # The person says no when the browser asks: the authenticator does not verify them.
    page.devtools.send(
        "WebAuthn.setUserVerified",
        {"authenticatorId": page.authenticator_id, "isUserVerified": False},
    )
    page.goto(link)
    page.get_by_label("Your full name").fill("Tam Reid")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_text("That did not work. Try again, or choose a password")).to_be_visible()
    assert _account("tam@nsa.example") is None

    page.get_by_label("Choose a password").fill("a long enough password")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Your account is ready")).to_be_visible()
    account = _account("tam@nsa.example")
    assert account is not None and not passkeys.passwords_off(account.id)


def test_without_javascript_only_the_password_shows_and_it_works(app, ctx, browser, base_url):
    link = _link("uma@nsa.example")
    phone = new_page(browser, base_url, NARROW_PHONE)  # JavaScript off
    try:
        phone.goto(link)
        expect(phone.get_by_role("button", name="Use a passkey")).to_be_hidden()
        phone.get_by_label("Your full name").fill("Uma Patel")
        phone.get_by_label("Choose a password").fill("a long enough password")
        phone.get_by_role("button", name="Create my account").click()
        expect(phone.get_by_role("heading", name="Your account is ready")).to_be_visible()
    finally:
        phone.context.close()
