"""A claimant who reads Welsh: the switch on every page keeps them where they are, the whole
journey (labels, scope wording, durations, dates) is in Welsh, and the choice is remembered on
their account, so another phone speaks Welsh to them after they sign in."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from broker.consent import grants
from broker.extensions import db
from broker.models import Account, Grant
from tests.browser.conftest import NARROW_PHONE, assert_fits, new_page, open_menu, switch_language
from tests.factories import make_adviser, make_claimant

pytestmark = pytest.mark.browser


def sign_in_in_welsh(page, username: str) -> None:  # noqa: ANN001
    page.get_by_label("Cyfeiriad e-bost").fill(username)
    page.get_by_label("Cyfrinair").fill("pw-for-tests")
    page.get_by_role("button", name="Mewngofnodi").click()


def test_a_welsh_speaker_gives_access_in_welsh_on_a_small_phone(ctx, browser, live_server):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Cyngor ar Bopeth Gogledd")
    username, code, claimant_id = claimant.account.username, adviser.code, claimant.id
    db.session.rollback()
    page = new_page(browser, live_server, NARROW_PHONE)

    page.goto("/access/new")  # signed out: sent to sign in, with the way back kept
    switch_language(page, "Cymraeg")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/access/new$"))
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mewngofnodi")
    sign_in_in_welsh(page, username)

    expect(page.get_by_role("heading", level=1)).to_have_text("Rhoi mynediad i rywun")
    page.get_by_label("Eu cod cynghorydd").fill(code)
    page.get_by_label("Eich penderfyniadau ailystyried").check()
    expect(page.get_by_text("Gweld beth wnaethon ni ei benderfynu")).to_be_visible()
    page.get_by_label("3 mis").check()
    page.get_by_label("Pam mae ei angen arnyn nhw?").fill("Help gyda fy apêl")
    page.get_by_label("Pwy ydyn nhw i chi?").fill("Fy nghynghorydd")
    page.get_by_role("button", name="Parhau").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Gwiriwch cyn i chi roi mynediad")
    db.session.rollback()
    ends = grants.add_months(_now(), 3)
    welsh_date = format_date(ends.astimezone(ZoneInfo("Europe/London")), "d MMMM y", locale="cy")
    expect(page.get_by_role("main")).to_contain_text(f"3 mis. Mae'n dod i ben ar {welsh_date}.")
    page.get_by_role("button", name="Rhoi mynediad").click()

    expect(page.get_by_role("alert")).to_contain_text("Gall Priya Shah weld beth wnaethoch chi")
    assert_fits(page)
    db.session.rollback()
    assert db.session.scalars(db.select(Grant.status)).all() == ["active"]
    assert db.session.get(Account, claimant_id).language == "cy"
    page.context.close()


def test_the_switch_keeps_the_page_and_the_choice_follows_the_account(ctx, browser, live_server):
    claimant = make_claimant("Alex Morgan")
    username, claimant_id = claimant.account.username, claimant.id
    db.session.rollback()
    first = new_page(browser, live_server)
    first.goto("/sign-in")
    first.get_by_label("Email address").fill(username)
    first.get_by_label("Password").fill("pw-for-tests")
    first.get_by_role("button", name="Sign in").click()

    open_menu(first)
    first.get_by_role("link", name="What they looked at").click()
    switch_language(first, "Cymraeg")
    expect(first).to_have_url(re.compile(r"/history$"))
    expect(first.get_by_role("heading", level=1)).to_have_text("Beth wnaethon nhw edrych arno")
    first.context.close()
    db.session.rollback()
    assert db.session.get(Account, claimant_id).language == "cy"
    db.session.rollback()

    other_phone = new_page(browser, live_server)  # no cookie: English until they sign in
    other_phone.goto("/sign-in")
    expect(other_phone.locator("html")).to_have_attribute("lang", "en")
    other_phone.get_by_label("Email address").fill(username)
    other_phone.get_by_label("Password").fill("pw-for-tests")
    other_phone.get_by_role("button", name="Sign in").click()
    expect(other_phone.get_by_role("heading", level=1)).to_have_text("Helo, Alex Morgan")
    open_menu(other_phone)
    other_phone.get_by_role("button", name="Allgofnodi").click()
    expect(other_phone.get_by_role("heading", level=1)).to_have_text("Rydych chi wedi allgofnodi")
    other_phone.get_by_role("link", name="Mewngofnodi eto").click()
    expect(other_phone.get_by_role("heading", level=1)).to_have_text("Mewngofnodi")  # remembered
    switch_language(other_phone, "English")
    expect(other_phone.get_by_role("heading", level=1)).to_have_text("Sign in")
    other_phone.context.close()


def _now():  # noqa: ANN202
    from broker import clock

    return clock.now()
