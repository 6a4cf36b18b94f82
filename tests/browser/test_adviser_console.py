"""The adviser, on a laptop with JavaScript, asks a client for access; the client says yes to
less on their phone. The adviser's screen moves on by itself to the client's page, which says
what they did not get, and the pages are axe-clean (issue 12)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, axe_violations, new_page, sign_in_page
from tests.factories import make_adviser, make_claimant, make_decision

pytestmark = pytest.mark.browser


def test_the_adviser_is_told_the_client_said_yes_to_less(app, ctx, browser, live_server):
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    claimant = make_claimant("Alex Morgan")
    make_decision(claimant, subject="Limited capability for work")
    adviser_name, claimant_name = adviser.account.username, claimant.account.username
    laptop = new_page(browser, live_server, LAPTOP, javascript=True)
    phone = new_page(browser, live_server)
    try:
        sign_in_page(laptop, adviser_name)
        laptop.get_by_role("link", name="Ask a client for access").click()
        laptop.locator("input[name=scopes][value='mr:read']").check()
        laptop.locator("input[name=scopes][value='journal:read']").check()
        laptop.get_by_label("3 months").check()
        laptop.get_by_label("Why do you need access?").fill("Help with your appeal")
        laptop.get_by_label("Who are you to your client?").fill("Welfare rights adviser")
        laptop.get_by_role("button", name="Show the code").click()
        user_code = laptop.locator("#user-code").inner_text()

        sign_in_page(phone, claimant_name)
        phone.goto(f"/device?user_code={user_code}")
        phone.locator("input[name=scopes][value='journal:read']").uncheck()
        phone.locator("input[name=months][value='1']").check()
        phone.get_by_role("button", name="Yes, give access").click()

        banner = laptop.get_by_role("region", name="Important")
        expect(banner).to_contain_text(
            "Alex Morgan said yes to less than you asked", timeout=30_000
        )
        expect(laptop.get_by_role("heading", level=1)).to_have_text("Alex Morgan")
        expect(banner).to_contain_text("You cannot use:")
        expect(banner.get_by_role("listitem")).to_have_text(["Their journal"])
        expect(banner).to_contain_text("You asked for 3 months.")
        assert axe_violations(laptop) == []
    finally:
        laptop.context.close()
        phone.context.close()
