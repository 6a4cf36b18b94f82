"""Passkeys in real Chromium, with the DevTools Protocol's virtual authenticator (a platform
authenticator that keeps discoverable credentials and verifies its user): add one, sign in
with it and no password, turn passwords off and back on, remove it; a captured answer posted
again, or with its origin changed, signs nobody in. Without JavaScript the password still works.

The virtual authenticator and the localhost origin come from this folder's conftest.py."""

from __future__ import annotations

import base64
import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NARROW_PHONE, new_page, open_menu
from tests.factories import PASSWORD, make_claimant

pytestmark = pytest.mark.browser


def _sign_in_with_password(page, username: str) -> None:  # noqa: ANN001
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _add_passkey(page, name: str) -> None:  # noqa: ANN001
    page.get_by_role("link", name="Sign-in and passkeys").click()
    page.get_by_label("Name your passkey").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    page.get_by_text("Passkey added").wait_for()


def _sign_out(page) -> None:  # noqa: ANN001
    open_menu(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile("/signed-out$"))


def test_add_a_passkey_sign_in_with_it_turn_passwords_off_and_remove_it(app, ctx, page):
    claimant = make_claimant("Casey Claimant")
    username = claimant.account.username
    _sign_in_with_password(page, username)
    _add_passkey(page, "My phone")
    expect(page.get_by_role("term").filter(has_text="My phone")).to_be_visible()
    expect(page.get_by_text("Not used yet")).to_be_visible()
    credentials = page.devtools.send(
        "WebAuthn.getCredentials", {"authenticatorId": page.authenticator_id}
    )["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]

    # Passwords off: the page says so, and a right password no longer signs in.
    page.get_by_role("button", name="Turn off password sign-in").click()
    expect(
        page.get_by_text("Password sign-in is off. Your password will not sign you in.")
    ).to_be_visible()
    _sign_out(page)
    _sign_in_with_password(page, username)
    expect(
        page.get_by_text("This account does not use a password to sign in. Use a passkey").first
    ).to_be_visible()

    # "Use a passkey": no username, no password.
    page.goto("/sign-in")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile("/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("link", name="Sign-in and passkeys").click()
    expect(page.get_by_text(re.compile("Last used"))).to_be_visible()

    # The last passkey cannot go while passwords are off; with them on again, it can.
    page.get_by_role("link", name="Remove My phone").click()
    page.get_by_role("button", name="Yes, remove it").click()
    expect(
        page.get_by_text("You cannot remove your last passkey while password sign-in is off")
    ).to_be_visible()
    page.get_by_role("link", name="Turn on password sign-in first").click()
    page.get_by_role("button", name="Turn on password sign-in").click()
    page.get_by_role("link", name="Remove My phone").click()
    page.get_by_role("button", name="Yes, remove it").click()
    expect(page.get_by_text("Passkey removed").first).to_be_visible()
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()

    page.get_by_role("link", name="See your sign-in history").click()
    for words in (
        "Passkey added",
        "Password sign-in turned off",
        "Signed in with a passkey",
        "Password sign-in turned on",
        "Passkey removed",
    ):
        expect(page.get_by_role("cell", name=re.compile(f"^{words}")).first, words).to_be_visible()


def _capture_assertion(page) -> dict:  # noqa: ANN001
    """Sign in with the passkey, keeping a copy of the answer the browser posted."""
    captured = {}

    def keep(route) -> None:  # noqa: ANN001
        captured.update(json.loads(route.request.post_data))
        route.continue_()

    page.route("**/sign-in/passkey", keep)
    page.goto("/sign-in")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile("/$"))
    page.unroute("**/sign-in/passkey")
    return captured


def _post_elsewhere(browser, base_url: str, body: dict) -> int:  # noqa: ANN001
    """Post `body` as the passkey answer from another browser: its own cookies and CSRF token."""
    attacker = browser.new_context(base_url=base_url)
    try:
        sign_in_page = attacker.request.get("/sign-in").text()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', sign_in_page).group(1)
        headers = {"X-CSRFToken": csrf, "Content-Type": "application/json"}
        answer = attacker.request.post("/sign-in/passkey", data=json.dumps(body), headers=headers)
        still_out = attacker.request.get("/account/sign-in", max_redirects=0).status == 303
        assert still_out, "the attacker's browser was signed in"
        return answer.status
    finally:
        attacker.close()


def test_a_replayed_assertion_from_the_browser_is_refused(app, ctx, browser, base_url, page):
    _sign_in_with_password(page, make_claimant().account.username)
    _add_passkey(page, "My phone")
    _sign_out(page)
    captured = _capture_assertion(page)
    assert captured["credential"]["response"]["signature"]
    assert _post_elsewhere(browser, base_url, captured) == 400


def test_an_assertion_with_another_origin_is_refused(app, ctx, browser, base_url, page):
    _sign_in_with_password(page, make_claimant().account.username)
    _add_passkey(page, "My phone")
    _sign_out(page)
    # A fresh challenge the browser answers, its answer caught before it reaches the broker.
    held = {}

    def hold(route) -> None:  # noqa: ANN001
        held.update(json.loads(route.request.post_data))
        route.abort()

    page.route("**/sign-in/passkey", hold)
    page.goto("/sign-in")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_function("() => !document.querySelector('[data-passkey-error]').hidden")
    response = held["credential"]["response"]
    client_data = json.loads(base64.urlsafe_b64decode(response["clientDataJSON"] + "=="))
    client_data["origin"] = "http://localhost.evil.example"
    response["clientDataJSON"] = (
        base64.urlsafe_b64encode(json.dumps(client_data).encode()).rstrip(b"=").decode()
    )
    assert _post_elsewhere(browser, base_url, held) == 400


def test_without_javascript_the_passkey_button_is_hidden_and_the_password_signs_in(
    app, ctx, browser, base_url
):
    claimant = make_claimant()
    phone = new_page(browser, base_url, NARROW_PHONE)  # JavaScript off
    try:
        phone.goto("/sign-in")
        expect(phone.get_by_role("button", name="Use a passkey")).to_be_hidden()
        _sign_in_with_password(phone, claimant.account.username)
        phone.wait_for_url(re.compile("/$"))
        phone.get_by_role("link", name="Sign-in and passkeys").click()
        expect(
            phone.get_by_text("To add a passkey, turn on JavaScript in your browser.")
        ).to_be_visible()
        expect(phone.get_by_role("button", name="Add a passkey")).to_be_hidden()
    finally:
        phone.context.close()
