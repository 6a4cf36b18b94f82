"""The two-way caller check (issue 27, security.md 79) on a 320-pixel phone: the claimant sees
the second code to read to the caller, in English and in Welsh; once the caller has typed it,
the phone and the history say the claimant confirmed it was them. The pages are axe-clean."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from broker import clock
from broker.casework import caller_checks
from broker.extensions import db
from tests.browser.conftest import (
    AXE_OPTIONS,
    NARROW_PHONE,
    new_page,
    sign_in_by_keys,
    start_check,
    switch_language,
)
from tests.factories import make_claimant, make_staff

pytestmark = pytest.mark.browser

WORDS = {
    "en": ("Your code for them:", "You read your code to them: you confirmed it was them."),
    "cy": (
        "Eich cod ar eu cyfer nhw:",
        "Darllenoch eich cod iddyn nhw: fe wnaethoch gadarnhau mai nhw oedd yno.",
    ),
}


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    claimant, staff = make_claimant("Alex Morgan"), make_staff("Jordan Lee")
    db.session.rollback()  # hold no transaction open while the live server answers
    return claimant, staff


def the_answer(claimant_id: str) -> tuple[str, str]:
    db.session.rollback()
    [check] = caller_checks.live_for_claimant(claimant_id, clock.now())
    return check.id, check.answer_code


def confirm(claimant_id: str, check_id: str, staff, code: str) -> None:  # noqa: ANN001
    """The staff member types the code the claimant read them, as their form does."""
    db.session.rollback()
    actor = caller_checks.Caller.staff(staff).actor
    caller_checks.confirm(claimant_id, check_id, actor, code, now=clock.now())
    db.session.commit()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_phone_shows_the_second_code_and_then_the_confirmation(
    browser, live_server, people, language
):
    claimant, staff = people
    claimant_id = claimant.id
    start_check(claimant, staff)
    check_id, code = the_answer(claimant_id)
    phone = new_page(browser, live_server, NARROW_PHONE, javascript=True)  # axe itself needs JS
    phone.goto("/sign-in")
    if language == "cy":
        switch_language(phone, "Cymraeg")
    sign_in_by_keys(phone, claimant.account.username)
    axe = Axe()
    violations: list[str] = []

    def looks_right(name: str) -> None:
        phone.wait_for_load_state("load")
        assert phone.locator("html").get_attribute("lang") == language
        assert phone.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
        for rule in axe.run(phone, options=AXE_OPTIONS).response["violations"]:
            violations.append(f"{name}: {rule['id']}")

    ask, confirmed = WORDS[language]
    phone.goto("/who-is-calling")
    expect(phone.get_by_role("main")).to_contain_text(ask)
    expect(phone.locator("[data-answer-code]")).to_have_text(code)
    looks_right("who-is-calling, second code")

    confirm(claimant_id, check_id, staff, code)
    phone.goto("/who-is-calling")
    expect(phone.locator("[data-answer-code]")).to_have_count(0)
    expect(phone.get_by_role("main")).to_contain_text(confirmed)
    looks_right("who-is-calling, confirmed")
    phone.goto("/history")
    expect(phone.locator("#call-1")).to_contain_text(confirmed)
    looks_right("history")
    phone.context.close()

    assert violations == [], "\n".join(violations)
