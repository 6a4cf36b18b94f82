"""A claimant, on a phone with JavaScript off, gives an adviser access and then stops it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits, sign_in_page
from tests.factories import make_adviser, make_claimant, make_decision

pytestmark = pytest.mark.browser


def test_claimant_gives_access_by_code_then_revokes_it(ctx, phone):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    make_decision(claimant)
    username = claimant.account.username

    sign_in_page(phone, username)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hello, Alex Morgan")
    phone.get_by_role("button", name="Give someone access").click()
    phone.get_by_label("Their adviser code").fill(adviser.code)
    phone.get_by_label("Your reconsideration decisions").check()
    phone.get_by_label("3 months").check()
    phone.get_by_label("Why do they need it?").fill("Help with my appeal")
    phone.get_by_label("Who are they to you?").fill("My welfare rights adviser")
    phone.get_by_role("button", name="Continue").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Check before you give access")
    expect(phone.get_by_text("Priya Shah, Northside Citizens Advice")).to_be_visible()
    phone.get_by_role("button", name="Give access").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Who can see your journal")
    expect(phone.get_by_role("alert")).to_contain_text("Priya Shah can now see what you chose")
    phone.get_by_role("link", name=re.compile("Stop access")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Stop access for Priya Shah?")
    phone.get_by_role("button", name="Yes, stop access").click()
    expect(phone.get_by_role("alert")).to_contain_text("Priya Shah can no longer see your journal")
    expect(phone.get_by_text("Nobody can see your journal now.")).to_be_visible()


def test_stop_access_and_stop_all_access_are_on_the_first_screen_at_320_px(
    app, ctx, frozen_clock, browser, live_server
):
    from tests.accessibility.scene import build
    from tests.browser.conftest import NARROW_PHONE, new_page

    scene = build(app, frozen_clock)  # two people, a review banner and news: a full home page
    phone = new_page(browser, live_server, NARROW_PHONE)
    sign_in_page(phone, scene.claimant.account.username)

    for path in ("/", "/access"):
        phone.goto(path)
        stop_all = phone.get_by_role("link", name="Stop all access", exact=True)
        stop_one = phone.get_by_role("link", name=re.compile("^Stop access for ")).first
        for button in (stop_all, stop_one):
            expect(button).to_be_visible()
            box = button.bounding_box()
            assert box is not None and box["y"] + box["height"] < 700, (path, box)
    phone.context.close()


def test_the_history_token_reference_is_never_split_at_320_px(
    app, ctx, frozen_clock, browser, live_server
):
    from tests.accessibility.scene import build
    from tests.browser.conftest import NARROW_PHONE, new_page

    scene = build(app, frozen_clock)
    phone = new_page(browser, live_server, NARROW_PHONE)
    sign_in_page(phone, scene.claimant.account.username)
    phone.goto("/history")

    disclosure = phone.get_by_text("Details if you want to complain").first
    reference = phone.locator(".app-token-ref").first
    expect(reference).to_be_hidden()  # behind the disclosure until asked for
    disclosure.click()
    expect(reference).to_be_visible()
    expect(reference).to_have_text(re.compile(r"^[0-9a-f]{8}$"))
    lines = reference.evaluate("(element) => element.getClientRects().length")
    box = reference.bounding_box()
    assert lines == 1  # one line: not broken mid-code
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320
    assert_fits(phone)  # nothing sticks out
    phone.context.close()


def test_change_on_the_check_page_keeps_every_answer_at_320_px(ctx, browser, live_server):
    from tests.browser.conftest import NARROW_PHONE, new_page

    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    phone = new_page(browser, live_server, NARROW_PHONE)  # JavaScript off
    sign_in_page(phone, claimant.account.username)
    phone.goto("/access/new")
    phone.get_by_label("Their adviser code").fill(adviser.code)
    phone.get_by_label("Your reconsideration decisions").check()
    phone.get_by_label("Your journal", exact=True).check()
    phone.get_by_label("6 months").check()
    phone.get_by_label("Why do they need it?").fill("Help with my appeal")
    phone.get_by_label("Who are they to you?").fill("My welfare rights adviser")
    phone.get_by_role("button", name="Continue").click()

    phone.get_by_role("button", name="Change why they need it").click()

    expect(phone).to_have_url(re.compile(r"/access/new#purpose$"))
    expect(phone.get_by_label("Their adviser code")).to_have_value(adviser.code)
    expect(phone.get_by_label("Your reconsideration decisions")).to_be_checked()
    expect(phone.get_by_label("Your journal", exact=True)).to_be_checked()
    expect(phone.get_by_label("6 months")).to_be_checked()
    expect(phone.get_by_label("Who are they to you?")).to_have_value("My welfare rights adviser")
    phone.get_by_label("Why do they need it?").fill("Prepare my tribunal bundle")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check before you give access")
    expect(phone.get_by_text("Prepare my tribunal bundle")).to_be_visible()
    phone.get_by_role("button", name="Give access").click()
    expect(phone.get_by_role("alert")).to_contain_text("Priya Shah can now see what you chose")
    phone.context.close()
