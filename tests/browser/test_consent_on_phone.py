"""A claimant answers an OAuth request on a phone (375x667, JavaScript off) in real Chromium:
the QR code's complete URI opens the request, they narrow it and approve, or refuse; a case
system's consent screen sends them back to the system with a code. And the adviser's screen
(JavaScript on) notices the answer without a reload."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

import scopes
from broker.consent import clients
from broker.extensions import db
from broker.models import DeviceAuthorization, Grant
from tests.browser.conftest import LAPTOP, new_page, sign_in_page
from tests.factories import make_adviser, make_claimant, make_decision
from tests.oauth.helpers import (
    authorize_query,
    make_client,
    pkce_pair,
    poll_device,
    start_device,
)

pytestmark = pytest.mark.browser


def device_request(app) -> dict:  # noqa: ANN001
    """A device client's request, as a screen in an advice centre would make it."""
    device_client, _ = make_client(
        name="Northside desk screen",
        redirect_uris=(),
        auth_method="none",
        scope_names="mr:read journal:read",
        grant_types=(clients.DEVICE_GRANT,),
    )
    client_id = device_client.id
    started = start_device(
        app.test_client(), client_id, scope="mr:read journal:read", duration_months=3
    ).json
    db.session.rollback()  # SQLite: hold no snapshot while the live server writes
    return {**started, "client_id": client_id}


def sign_in_here(page, username: str) -> None:  # noqa: ANN001
    """Sign in on the sign-in page the browser was sent to, so that it returns where it was."""
    page.get_by_label("Email address").fill(username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Sign in").click()


def path_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.path}?{parts.query}"


def test_the_complete_uri_opens_and_a_narrowed_approval_is_kept(app, ctx, phone):
    claimant = make_claimant("Alex Morgan")
    username = claimant.account.username
    started = device_request(app)

    phone.goto(path_of(started["verification_uri_complete"]))  # what the QR code opens
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in")
    sign_in_here(phone, username)

    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Northside desk screen asks to see your journal"
    )
    expect(phone.locator("#user-code")).to_have_text(started["user_code"])
    expect(phone.locator("#who-organisation")).to_have_text("Northside Citizens Advice")
    expect(phone.get_by_label("Your journal")).to_be_checked()
    phone.get_by_label("Your journal").uncheck()
    phone.get_by_label(re.compile(r"^1 month, until")).check()
    phone.get_by_role("button", name="Yes, give access").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Who can see your journal")
    expect(phone.get_by_role("alert")).to_contain_text(
        "Northside desk screen can now see what you chose"
    )
    expect(phone.get_by_text(scopes.lookup("mr:read").sentence_in("en"))).to_be_visible()
    expect(phone.get_by_text(scopes.lookup("journal:read").sentence_in("en"))).to_have_count(0)
    token = poll_device(app.test_client(), started["client_id"], None, started["device_code"])
    assert token.status_code == 200 and token.json["scope"] == "mr:read"
    db.session.rollback()
    assert db.session.scalars(db.select(Grant)).one().scopes == "mr:read"


def test_refusing_on_the_phone_gives_nothing(app, ctx, phone):
    claimant = make_claimant("Alex Morgan")
    username = claimant.account.username
    started = device_request(app)
    sign_in_page(phone, username)

    phone.goto("/device")
    phone.get_by_label("Enter the code you were given").fill(started["user_code"].lower())
    phone.get_by_role("button", name="Continue").click()
    expect(phone.locator("#user-code")).to_have_text(started["user_code"])
    phone.get_by_role("button", name="No, do not give access").click()

    expect(phone.get_by_role("alert")).to_contain_text(
        "You said no. Northside desk screen cannot see your journal"
    )
    polled = poll_device(app.test_client(), started["client_id"], None, started["device_code"])
    assert polled.json["error"] == "access_denied"
    db.session.rollback()
    assert db.session.scalars(db.select(Grant)).all() == []
    assert db.session.scalars(db.select(DeviceAuthorization)).one().status == "denied"


def test_a_case_system_consent_returns_the_claimant_with_a_code(app, ctx, phone):
    claimant = make_claimant("Alex Morgan")
    username = claimant.account.username
    client, _secret = make_client()
    _verifier, challenge = pkce_pair()
    url = authorize_query(client.id, challenge, scope="mr:read journal:read")
    db.session.rollback()
    arrived: list[str] = []

    def case_system(route) -> None:  # noqa: ANN001 (the client's redirect URI, not on this network)
        arrived.append(route.request.url)
        route.fulfill(
            status=200,
            content_type="text/html",
            body="<!DOCTYPE html><title>Case system</title><h1>Thank you</h1>",
        )

    phone.route("https://case.example/**", case_system)
    sign_in_page(phone, username)
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Northside case system asks to see your journal"
    )
    phone.get_by_role("button", name="Yes, give access").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(arrived[0]).query).items()}
    assert answer["state"] == "state-123" and answer["iss"] == "http://broker.test"
    assert answer["code"]


def test_the_advisers_screen_notices_the_answer_without_a_reload(app, ctx, browser, live_server):
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    claimant = make_claimant("Alex Morgan")
    make_decision(claimant, subject="Limited capability for work")
    adviser_name, claimant_name = adviser.account.username, claimant.account.username
    laptop = new_page(browser, live_server, LAPTOP, javascript=True)
    phone = new_page(browser, live_server)
    try:
        sign_in_page(laptop, adviser_name)
        laptop.get_by_role("link", name="Ask a client for access").click()
        laptop.get_by_label("Your reconsideration decisions").check()
        laptop.get_by_label("3 months").check()
        laptop.get_by_label("Why do you need access?").fill("Help with your appeal")
        laptop.get_by_label("Who are you to your client?").fill("Welfare rights adviser")
        laptop.get_by_role("button", name="Show the code").click()
        expect(laptop.get_by_role("heading", level=1)).to_have_text(
            "Ask your client to scan the code"
        )
        qr = laptop.get_by_role("img", name=re.compile("QR code"))
        expect(qr).to_be_visible()
        # Wait for the image itself (it may still be loading on a busy machine), then check it.
        laptop.wait_for_function("(img) => img.complete", arg=qr.element_handle())
        assert laptop.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0
        user_code = laptop.locator("#user-code").inner_text()

        sign_in_page(phone, claimant_name)
        phone.goto(f"/device?user_code={user_code}")
        phone.get_by_role("button", name="Yes, give access").click()
        expect(phone.get_by_role("heading", level=1)).to_have_text("Who can see your journal")

        # No reload: static/js/ask.js polls and moves the adviser on to the client's journal.
        expect(laptop).to_have_url(
            re.compile(r"/adviser/clients/[0-9a-f-]+\?asked=[0-9a-f-]+$"), timeout=30_000
        )
        expect(laptop.get_by_text("Limited capability for work").first).to_be_visible()
    finally:
        laptop.context.close()
        phone.context.close()
