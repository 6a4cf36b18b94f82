"""Is this caller really from DWP? On a 320-pixel phone with JavaScript off, a line at the top of
the home page leads the claimant to the caller check, which is also on "Who is calling me?"; they
compare the code, see it gone after 5 minutes (frozen clock) and can report a caller; with
JavaScript on, a check started while the page is open appears without a reload. A staff member
starts one on a laptop. Every new claimant page is axe-clean in English and Welsh."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from broker.extensions import db
from tests.browser.conftest import (
    AXE_OPTIONS,
    LAPTOP,
    NARROW_PHONE,
    PHONE,
    assert_fits,
    new_page,
    open_menu,
    sign_in_by_keys,
    sign_in_page,
    start_check,
    switch_language,
)
from tests.factories import make_claimant, make_staff

pytestmark = pytest.mark.browser


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    claimant, staff = make_claimant("Alex Morgan"), make_staff("Jordan Lee")
    db.session.rollback()  # hold no transaction open while the live server answers
    return claimant, staff


def test_a_claimant_compares_the_code_on_a_small_phone_without_javascript(
    browser, live_server, frozen_clock, people
):
    claimant, staff = people
    code = start_check(claimant, staff)
    phone = new_page(browser, live_server, NARROW_PHONE)  # JavaScript off

    sign_in_page(phone, claimant.account.username)

    banner = phone.get_by_role("region", name="Someone is calling you")
    expect(banner).to_contain_text("Jordan Lee from Department for Work and Pensions")
    expect(banner).to_contain_text(code)
    # At the top, one line leads down to the check's card (issue 23: "Stop all access" stays on
    # the first screen); with nobody given access, the card is the first section of the page.
    summary = phone.get_by_role("link", name="See who it is and their check code")
    expect(summary).to_have_attribute("href", re.compile(r"^#caller-check-"))
    summary.click()
    expect(phone).to_have_url(re.compile(r"#caller-check-"))
    first = phone.locator("main h2").first
    expect(first).to_have_text("Someone is calling you")
    assert_fits(phone)

    open_menu(phone)
    phone.get_by_role("link", name="Who is calling me?").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Who is calling me?")
    expect(phone.locator("[data-caller-check-code]")).to_have_text(code)
    assert_fits(phone)

    frozen_clock.advance(minutes=5)
    phone.get_by_role("button", name="Check again").click()
    expect(phone.get_by_role("main")).to_contain_text(
        "Nobody from DWP or your advisers is calling you now through this service."
    )
    expect(phone.locator("[data-caller-check-code]")).to_have_count(0)
    assert_fits(phone)
    phone.context.close()


def test_a_claimant_reports_a_caller_on_a_small_phone(browser, live_server, people):
    claimant, staff = people
    start_check(claimant, staff)
    phone = new_page(browser, live_server, NARROW_PHONE)
    sign_in_page(phone, claimant.account.username)
    phone.goto("/who-is-calling")

    phone.get_by_role("button", name=re.compile("^This caller was not genuine")).click()

    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "You told us this caller was not genuine"
    )
    expect(phone.get_by_role("main")).to_contain_text("Call DWP on the number on GOV.UK.")
    assert_fits(phone)
    phone.context.close()


def test_a_check_started_while_the_page_is_open_appears_with_javascript(
    browser, live_server, people
):
    claimant, staff = people
    phone = new_page(browser, live_server, NARROW_PHONE, javascript=True)
    sign_in_page(phone, claimant.account.username)
    phone.goto("/who-is-calling")
    expect(phone.get_by_role("main")).to_contain_text("Nobody from DWP")

    code = start_check(claimant, staff)

    expect(phone.locator("[data-caller-check-code]")).to_have_text(code, timeout=15_000)
    phone.context.close()


def test_staff_start_a_check_from_the_record_and_read_out_the_code(browser, live_server, people):
    claimant, staff = people
    laptop = new_page(browser, live_server, LAPTOP, javascript=True)
    sign_in_page(laptop, staff.account.username)
    laptop.goto(f"/staff/claimants/{claimant.reference}")

    laptop.get_by_role("button", name="Start a caller check").click()

    expect(laptop.get_by_role("heading", name="Read out this code")).to_be_visible()
    code = laptop.locator(".app-user-code").inner_text().strip()
    assert re.fullmatch(r"\d{4}", code)
    laptop.context.close()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_new_claimant_pages_have_no_wcag_a_or_aa_violations(
    browser, live_server, people, language
):
    claimant, staff = people
    page = new_page(browser, live_server, NARROW_PHONE, javascript=True)  # axe itself needs JS
    page.goto("/sign-in")
    if language == "cy":
        switch_language(page, "Cymraeg")
    sign_in_by_keys(page, claimant.account.username)
    axe = Axe()
    violations: list[str] = []

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == language
        for viewport in (NARROW_PHONE, LAPTOP):
            page.set_viewport_size(viewport)
            for rule in axe.run(page, options=AXE_OPTIONS).response["violations"]:
                violations.append(f"{name} at {viewport['width']}px: {rule['id']}")
        page.set_viewport_size(NARROW_PHONE)

    page.goto("/who-is-calling")
    check("who-is-calling, nobody")
    start_check(claimant, staff)
    page.goto("/who-is-calling")
    check("who-is-calling, a check")
    page.goto("/")
    check("home, a check")
    page.locator("form[action*='/not-genuine'] button").first.click()
    check("reported")
    page.context.close()

    assert violations == [], "\n".join(violations)


def test_the_pages_speak_welsh(browser, live_server, people):
    claimant, staff = people
    start_check(claimant, staff)
    phone = new_page(browser, live_server, NARROW_PHONE)
    phone.goto("/sign-in")
    switch_language(phone, "Cymraeg")
    sign_in_by_keys(phone, claimant.account.username)

    banner = phone.get_by_role("region", name="Mae rhywun yn eich ffonio chi")
    expect(banner).to_contain_text("Jordan Lee o Adran Gwaith a Phensiynau")
    open_menu(phone)
    phone.get_by_role("link", name="Pwy sy'n fy ffonio i?").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Pwy sy'n fy ffonio i?")
    phone.get_by_role("button", name=re.compile("^Nid oedd y galwr hwn yn un go iawn")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Fe ddywedoch chi wrthym nad oedd y galwr hwn yn un go iawn"
    )
    assert_fits(phone)
    phone.context.close()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_caller_check_pages_are_photographed_on_a_phone(
    browser, live_server, people, tmp_path, language
):
    """`SCREENSHOTS=screenshots` keeps them (as `make screenshots` does for the main pages)."""
    folder = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    claimant, staff = people
    phone = new_page(browser, live_server, PHONE)
    phone.goto("/sign-in")
    if language == "cy":
        switch_language(phone, "Cymraeg")
    sign_in_by_keys(phone, claimant.account.username)
    taken = []

    def photograph(name: str) -> None:
        path = folder / f"{language}-{name}.png"
        phone.screenshot(path=str(path), full_page=True)
        taken.append(path)

    phone.goto("/who-is-calling")
    photograph("who-is-calling-nobody")
    start_check(claimant, staff)
    phone.goto("/")
    photograph("home-caller-check")
    phone.goto("/who-is-calling")
    photograph("who-is-calling")
    phone.locator("form[action*='/not-genuine'] button").click()
    photograph("caller-reported")
    phone.context.close()

    assert all(path.stat().st_size > 0 for path in taken)
