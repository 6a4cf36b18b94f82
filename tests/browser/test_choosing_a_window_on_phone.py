"""On a 320-pixel phone with JavaScript off, the claimant chooses a date window on "Give someone
access", sees it on the card, and shortens it; a request's window is said in plain words and
can be started later. Every page with the window is axe-clean, in English and in Welsh."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from broker import clock
from broker.consent import clients, device
from broker.consent.windows import Window
from broker.extensions import db
from broker.models import Grant
from tests.browser.conftest import (
    AXE_OPTIONS,
    NARROW_PHONE,
    assert_fits,
    new_page,
    sign_in_by_keys,
    sign_in_page,
    switch_language,
)
from tests.factories import make_adviser, make_claimant
from tests.oauth.helpers import make_client
from tests.window.dated import windowed

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser, live_server):  # noqa: ANN001, ANN201
    page = new_page(browser, live_server, NARROW_PHONE)  # JavaScript off
    yield page
    page.context.close()


def _fresh(claimant_id: str) -> Grant:
    db.session.rollback()
    return db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant_id)).one()


def test_choosing_only_from_a_date_then_starting_it_later(ctx, phone):
    alex = make_claimant("Alex Morgan")
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    db.session.rollback()
    sign_in_page(phone, alex.account.username)

    phone.goto("/access/new")
    phone.get_by_label("Their adviser code").fill(priya.code)
    phone.get_by_label("Your journal", exact=True).check()
    phone.get_by_label("Your payments").check()
    phone.get_by_label("3 months").check()
    phone.get_by_label("Only from this date (optional)").fill("3 3 2026")
    phone.get_by_label("Why do they need it?").fill("Help with my payment being cut")
    phone.get_by_label("Who are they to you?").fill("My welfare rights adviser")
    assert_fits(phone)
    phone.get_by_role("button", name="Continue").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Check before you give access")
    expect(phone.locator("dl.govuk-summary-list")).to_contain_text("Only from 3 March 2026")
    assert_fits(phone)
    phone.get_by_role("button", name="Give access").click()

    expect(phone.get_by_role("alert")).to_contain_text("Priya Shah can now see what you chose")
    expect(phone.locator(".govuk-summary-card")).to_contain_text("Only from 3 March 2026")
    assert _fresh(alex.id).date_from == date(2026, 3, 3)
    assert_fits(phone)

    phone.get_by_role("link", name="Change what they can see").click()
    phone.get_by_label("Only from this date (optional)").fill("1 4 2026")
    phone.get_by_label("Until this date (optional)").fill("30 6 2026")
    phone.get_by_role("button", name="Save changes").click()

    expect(phone.locator(".govuk-summary-card")).to_contain_text(
        "From 1 April 2026 to 30 June 2026"
    )
    grant = _fresh(alex.id)
    assert (grant.date_from, grant.date_to) == (date(2026, 4, 1), date(2026, 6, 30))
    assert_fits(phone)


def test_an_earlier_date_on_change_is_explained_next_to_the_field(ctx, phone):
    alex = make_claimant("Alex Morgan")
    grant = windowed(
        alex, make_adviser("Priya Shah"), Window(date(2026, 3, 3)), "journal:read mr:read"
    )
    db.session.rollback()
    sign_in_page(phone, alex.account.username)

    phone.goto(f"/access/{grant.id}/change")
    phone.get_by_label("Only from this date (optional)").fill("1 1 2026")
    phone.get_by_role("button", name="Save changes").click()

    expect(phone.locator("#date_from-error")).to_contain_text(
        "You can only make the dates shorter here, not longer"
    )
    phone.get_by_role("alert").get_by_role("link").click()
    expect(phone.locator("#date_from")).to_be_focused()
    assert _fresh(alex.id).date_from == date(2026, 3, 3)


def _device_request_with_a_window() -> str:
    client, _ = make_client(grant_types=(clients.DEVICE_GRANT,), scope_names="mr:read journal:read")
    started = device.start(
        client,
        scope_names=("mr:read", "journal:read"),
        details=clients.ConsentDetails(
            "Help with the payment cut",
            "Welfare rights adviser",
            "",
            3,
            window=Window(date(2026, 3, 3)),
        ),
        adviser=None,
        now=clock.now(),
    )
    db.session.commit()
    return started.user_code


def test_a_request_for_dates_is_said_in_words_and_can_start_later(ctx, phone):
    alex = make_claimant("Alex Morgan")
    user_code = _device_request_with_a_window()
    db.session.rollback()
    sign_in_page(phone, alex.account.username)

    phone.goto(f"/device?user_code={user_code}")
    expect(phone.locator("#window-asked")).to_have_text(
        "They ask to see only some dates: Only from 3 March 2026."
    )
    assert_fits(phone)
    phone.get_by_label("Only from this date (optional)").fill("10 3 2026")
    phone.get_by_role("button", name="Yes, give access").click()

    expect(phone.get_by_role("alert")).to_be_visible()
    assert _fresh(alex.id).date_from == date(2026, 3, 10)


@pytest.mark.parametrize("language", ["en", "cy"])
def test_every_page_with_a_window_is_axe_clean(ctx, browser, live_server, tmp_path, language):
    """And photographed at 320 pixels: `SCREENSHOTS=screenshots` keeps them (git ignores it)."""
    folder = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    alex = make_claimant("Alex Morgan")
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = windowed(alex, priya, Window(date(2026, 3, 3)), "journal:read mr:read")
    user_code = _device_request_with_a_window()
    db.session.rollback()
    page = new_page(browser, live_server, NARROW_PHONE, javascript=True)  # axe itself needs JS
    page.goto("/sign-in")
    if language == "cy":
        switch_language(page, "Cymraeg")
    sign_in_by_keys(page, alex.account.username)
    axe = Axe()
    violations: list[str] = []

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == language
        page.screenshot(
            path=str(folder / f"{language}-window-{name.replace(' ', '-')}.png"), full_page=True
        )
        for rule in axe.run(page, options=AXE_OPTIONS).response["violations"]:
            violations.append(f"{name}: {rule['id']} {[n['target'] for n in rule['nodes']]}")

    page.goto("/access")
    check("cards")
    page.goto(f"/access/{grant.id}/change")
    check("change")
    page.locator("#date_from").fill("1 1 2026")
    page.locator(f"form[action='/access/{grant.id}/change'] button[type=submit]").click()
    check("change with an error")
    page.goto("/access/new")
    page.locator("#date_from").fill("31 2 2026")
    page.locator("form[action='/access/new'] button[type=submit]").click()
    check("give access with errors")
    page.locator("#adviser_code").fill(priya.code)
    page.locator("input[name=scopes][value='payments:read']").check()
    page.locator("input[name=months][value='3']").check()
    page.locator("#date_from").fill("3 3 2026")
    page.locator("#purpose").fill("Help")
    page.locator("#relationship").fill("Adviser")
    page.locator("form[action='/access/new'] button[type=submit]").click()
    check("check page")
    page.goto(f"/device?user_code={user_code}")
    check("consent screen")
    page.context.close()

    assert violations == [], "\n".join(violations)
