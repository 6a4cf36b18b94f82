"""Issue 25 in a real browser: a claimant chooses "Sign in with GOV.UK One Login", signs in on
the provider's own page (node-oidc-provider, tests/oidc), links by their UC reference and the
code we sent them, and lands on their home page; next time One Login alone brings them in."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from broker.extensions import db
from broker.models import OutboxMessage
from tests.browser.conftest import new_page, snap
from tests.oidc.fixtures import OidcProvider
from tests.oidc.people import claimant_with_email


def sign_in_at_provider(page, login: str) -> None:  # noqa: ANN001
    page.get_by_role("button", name="Sign in with GOV.UK One Login").click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password")
    page.locator('button[type="submit"]').click()


def test_a_claimant_signs_in_with_one_login_links_and_sees_their_home_page(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider, oidc_live_server: str, browser
):  # noqa: ANN001
    with oidc_app.app_context():
        claimant_id = claimant_with_email("sam@example.com", "UC-2002-SM", name="Sam Morgan").id
    page = new_page(browser, oidc_live_server)
    try:
        page.goto("/sign-in")
        snap(page, "one-login-1-sign-in-page")
        sign_in_at_provider(page, "stranger")

        page.wait_for_url("**/one-login/link")
        snap(page, "one-login-2-link-by-reference")
        assert page.get_by_role("heading", level=1).inner_text() == "Link your GOV.UK One Login"
        page.get_by_label("Your Universal Credit reference").fill("UC-2002-SM")
        page.get_by_role("button", name="Send me a code").click()
        page.wait_for_url("**/one-login/link/code")
        snap(page, "one-login-3-code-sent")
        with oidc_app.app_context():
            body = db.session.scalar(
                select(OutboxMessage.body).where(OutboxMessage.account_id == claimant_id)
            )
        page.get_by_label("The 6-digit code").fill(re.search(r"\b(\d{6})\b", body).group(1))
        page.get_by_role("button", name="Continue").click()

        page.wait_for_url(f"{oidc_live_server}/")
        assert "Sam Morgan" in page.content()
        snap(page, "one-login-4-linked-home")

        page.context.clear_cookies()  # a new visit, signed out here and at the provider
        page.goto("/sign-in")
        sign_in_at_provider(page, "stranger")
        page.wait_for_url(f"{oidc_live_server}/")
        assert "Sam Morgan" in page.content()
    finally:
        page.context.close()


def test_signing_out_at_one_login_ends_the_session_here(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider, oidc_live_server: str, browser
):  # noqa: ANN001
    """The provider's own back-channel logout: signing out at its end_session endpoint makes it
    POST a logout token it signed to /oidc/backchannel-logout, and the session here ends."""
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM", name="Alex Morgan")
    page = new_page(browser, oidc_live_server)
    try:
        page.goto("/sign-in")
        sign_in_at_provider(page, "alex")
        page.wait_for_url(f"{oidc_live_server}/")
        assert "Alex Morgan" in page.content()

        page.goto(f"{oidc_provider.issuer}/session/end")
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_load_state()

        page.goto(f"{oidc_live_server}/")
        assert "/sign-in" in page.url
    finally:
        page.context.close()
