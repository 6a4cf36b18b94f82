"""security.md 27 in a real browser: a session cookie copied before sign-out opens nothing after
it, and "Sign out everywhere else" on one phone signs out another."""

from __future__ import annotations

import pytest

from tests.browser.conftest import new_page, open_menu, sign_in_page
from tests.factories import make_claimant


@pytest.fixture
def alex(ctx):  # noqa: ANN001, ANN201
    return make_claimant("Alex Morgan")


def test_a_cookie_copied_before_sign_out_no_longer_opens_the_journal_pages(
    alex, browser, live_server
):
    phone = new_page(browser, live_server)
    thief = new_page(browser, live_server)
    try:
        sign_in_page(phone, alex.account.username)
        phone.wait_for_url("**/")
        thief.context.add_cookies(phone.context.cookies())  # copied, e.g. from a shared phone
        thief.goto("/access")
        assert thief.get_by_role("heading", level=1).inner_text() == "Who can see your journal"

        open_menu(phone)
        phone.get_by_role("button", name="Sign out").click()
        phone.wait_for_url("**/signed-out")

        for path in ("/access", "/history.json"):
            thief.goto(path)
            assert "/sign-in" in thief.url, path
            assert thief.get_by_role("heading", level=1).inner_text() == "Sign in"
    finally:
        phone.context.close()
        thief.context.close()


def test_sign_out_everywhere_else_signs_out_the_other_phone(alex, browser, live_server):
    phone = new_page(browser, live_server)
    other = new_page(browser, live_server)
    try:
        sign_in_page(other, alex.account.username)
        other.wait_for_url("**/")
        sign_in_page(phone, alex.account.username)
        phone.wait_for_url("**/")

        phone.get_by_role("link", name="Sign out everywhere else").click()
        assert phone.get_by_role("heading", level=1).inner_text() == "Sign out everywhere else?"
        phone.get_by_role("button", name="Yes, sign out everywhere else").click()

        assert "You signed out everywhere else" in phone.content()
        other.goto("/access")
        assert "/sign-in" in other.url
        phone.goto("/access")
        assert "/sign-in" not in phone.url
    finally:
        phone.context.close()
        other.context.close()
