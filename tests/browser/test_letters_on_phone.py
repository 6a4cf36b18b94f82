"""The letters inbox and contact choices on a 320-pixel phone with JavaScript off, in English and
in Welsh: the home page's count, reading a letter, and choosing text messages (with the mobile
number's plain error first). Nothing scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from broker import clock
from broker.extensions import db
from broker.messages import contact, letters
from tests.browser.conftest import (
    NARROW_PHONE,
    assert_fits,
    new_page,
    sign_in_page,
    switch_language,
)
from tests.factories import make_claimant, make_staff

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "count": "You have 1 new letter",
        "letters": "Your letters",
        "title": "Your payment is on 5 January",  # a staff letter: its opening words
        "choose": "Choose how we contact you",
        "text": "Text message",
        "missing": "Enter your mobile number to get text messages",
        "save": "Save your choices",
        "saved": "Your choices are saved.",
        "opened": "You opened it",
    },
    "cy": {
        "count": "Mae gennych 1 llythyr newydd",
        "letters": "Eich llythyrau",
        "title": "Your payment is on 5 January",  # written in English
        "choose": "Dewiswch sut rydym yn cysylltu â chi",
        "text": "Neges destun",
        "missing": "Rhowch eich rhif ffôn symudol i gael negeseuon testun",
        "save": "Cadw eich dewisiadau",
        "saved": "Mae eich dewisiadau wedi'u cadw.",
        "opened": "Fe wnaethoch ei agor",
    },
}


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_claimant_reads_a_letter_and_chooses_text_messages_on_a_small_phone(
    ctx, browser, live_server, language
):
    claimant = make_claimant("Alex Morgan")
    letters.send_letter(
        claimant,
        "Your payment is on 5 January.",
        language="en",
        staff=make_staff("Jordan Lee"),
        now=clock.now(),
    )
    db.session.commit()
    username, claimant_id = claimant.account.username, claimant.id
    db.session.rollback()
    words = WORDS[language]
    page = new_page(browser, live_server, NARROW_PHONE)  # JavaScript off

    sign_in_page(page, username)
    if language == "cy":
        switch_language(page, "Cymraeg")
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_fits(page)
    page.get_by_role("link", name=words["count"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["letters"])
    assert_fits(page)
    page.locator("#letters a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["title"])
    expect(page.locator("#letter-body")).to_contain_text("Your payment is on 5 January.")
    expect(page.locator("#letter-proof")).to_contain_text(words["opened"])
    assert_fits(page)
    page.goto("/")
    expect(page.locator("#letters-unread")).to_have_text(words["letters"])

    page.goto("/letters")
    page.get_by_role("link", name=words["choose"]).click()
    assert_fits(page)
    page.locator("#reminders-sms").check()
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(words["missing"])
    expect(page.locator("#reminders-sms")).to_be_checked()  # nothing the claimant chose is lost
    assert_fits(page)
    page.locator("#mobile").fill("07700 900 982")
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(words["saved"])

    db.session.rollback()
    chosen = contact.of(claimant_id)
    assert chosen.for_kind(contact.REMINDERS) == ("inbox", "email", "sms")
    assert chosen.mobile == "+447700900982"
