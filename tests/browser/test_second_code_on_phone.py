"""The two-way caller check (issue 27, security.md 79) on a 320-pixel phone: the claimant sees
the second code to read to the caller, in English and in Welsh; once the caller has typed it,
the phone and the history say the claimant confirmed it was them. The pages, and the staff
member's page where they type it (a wrong code, then the right one), are axe-clean."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from broker import clock
from broker.casework import caller_checks
from broker.extensions import db
from tests.browser.conftest import (
    AXE_OPTIONS,
    LAPTOP,
    NARROW_PHONE,
    assert_fits,
    new_page,
    sign_in_by_keys,
    sign_in_page,
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


def the_answer(claimant_id: str) -> str:
    db.session.rollback()
    [check] = caller_checks.live_for_claimant(claimant_id, clock.now())
    answer = check.answer_code
    db.session.rollback()  # hold no transaction open while the live server answers
    return answer


def staff_types(browser, live_server, staff, reference: str, typed: str, violations):  # noqa: ANN001
    """The staff member types, on their laptop, the code the claimant read them; their page (a
    wrong code first, then the right one) is axe-clean too."""
    laptop = new_page(browser, live_server, LAPTOP, javascript=True)
    sign_in_page(laptop, staff.account.username)
    laptop.goto(f"/staff/claimants/{reference}/caller-checks")
    for code in (f"{(int(typed) + 1) % 10_000:04d}", typed):
        laptop.get_by_label("Their code for you").fill(code)
        laptop.get_by_role("button", name="Check their code").click()
        laptop.wait_for_load_state("load")
        for rule in Axe().run(laptop, options=AXE_OPTIONS).response["violations"]:
            violations.append(f"staff page: {rule['id']}")
    expect(laptop.locator("#caller-check-confirmed")).to_contain_text(
        "The claimant confirmed it was them"
    )
    laptop.context.close()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_phone_shows_the_second_code_and_then_the_confirmation(
    browser, live_server, people, language
):
    claimant, staff = people
    claimant_id = claimant.id
    start_check(claimant, staff)
    code = the_answer(claimant_id)
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
        assert_fits(phone)
        for rule in axe.run(phone, options=AXE_OPTIONS).response["violations"]:
            violations.append(f"{name}: {rule['id']}")

    ask, confirmed = WORDS[language]
    phone.goto("/who-is-calling")
    expect(phone.get_by_role("main")).to_contain_text(ask)
    expect(phone.locator("[data-answer-code]")).to_have_text(code)
    looks_right("who-is-calling, second code")

    staff_types(browser, live_server, staff, claimant.reference, code, violations)
    phone.goto("/who-is-calling")
    expect(phone.locator("[data-answer-code]")).to_have_count(0)
    expect(phone.get_by_role("main")).to_contain_text(confirmed)
    looks_right("who-is-calling, confirmed")
    phone.goto("/history")
    expect(phone.locator("#call-1")).to_contain_text(confirmed)
    looks_right("history")
    phone.context.close()

    assert violations == [], "\n".join(violations)
