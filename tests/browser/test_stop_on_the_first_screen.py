"""Stop never leaves the first screen (issue 23). On a 320 x 568 phone with JavaScript off, in
English and in Welsh, whatever waits on the home page (a caller check, drafts to check, unread
letters, news since the last sign-in), "Stop all access" on the home page and the confirming
button on both Stop questions (one adviser's access, and all access) end within the first 568
pixels. Each mix is built on the accessibility scene: Priya Shah and Tom Reed can both see the
journal, and Tom's review is due."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from broker import clock
from broker.casework import drafts
from broker.extensions import db
from broker.messages import letters
from tests.accessibility.scene import Scene, build
from tests.browser.conftest import (
    assert_fits,
    new_page,
    sign_in_by_keys,
    start_check,
    switch_language,
)
from tests.conftest import sign_in
from tests.drafts.conftest import send_request
from tests.factories import issue_token, make_staff

pytestmark = pytest.mark.browser

FIRST_SCREEN = {"width": 320, "height": 568}


@dataclass(frozen=True)
class Mix:
    caller_check: bool
    drafts: int
    letters_and_news: bool


MIXES = {
    "nothing waiting": Mix(caller_check=False, drafts=0, letters_and_news=False),
    "a caller check": Mix(caller_check=True, drafts=0, letters_and_news=False),
    "a draft": Mix(caller_check=False, drafts=1, letters_and_news=False),
    "a caller check and a draft": Mix(caller_check=True, drafts=1, letters_and_news=False),
    "letters and news": Mix(caller_check=False, drafts=0, letters_and_news=True),
    "all of it, two drafts": Mix(caller_check=True, drafts=2, letters_and_news=True),
}


def _set_the_scene(app, frozen_clock, mix: Mix) -> Scene:  # noqa: ANN001
    """The accessibility scene, then what `mix` says waits on the home page, and nothing else."""
    scene = build(app, frozen_clock)
    claimant = scene.claimant
    if not mix.letters_and_news:  # a sign-in now: what happened before it is not news
        sign_in(app.test_client(), claimant.account.username)
    if mix.caller_check:
        start_check(claimant, make_staff("Jordan Lee"))
    if mix.drafts:
        grant = scene.priya_grant
        drafts.set_checking(grant, True, by=f"claimant:{claimant.id}", now=clock.now())
        db.session.commit()
        token, _ = issue_token(grant, now=clock.now())
        for _ in range(mix.drafts):
            assert send_request(app.test_client(), token).status_code == 202
    if not mix.letters_and_news:  # the scene's letters, and the drafts' notices, are read
        for found in letters.inbox(claimant.id):
            letters.open_letter(claimant.id, found.id, now=clock.now())
        db.session.commit()
    db.session.rollback()  # the live server must not wait on a transaction held here
    return scene


def _bottom(locator) -> float:  # noqa: ANN001
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None
    return box["y"] + box["height"]


@pytest.mark.parametrize("language", ["en", "cy"])
@pytest.mark.parametrize("mix", list(MIXES.values()), ids=list(MIXES))
def test_stop_all_access_and_the_stop_questions_buttons_are_on_the_first_screen(
    app, ctx, frozen_clock, browser, live_server, mix, language
):
    scene = _set_the_scene(app, frozen_clock, mix)
    phone = new_page(browser, live_server, FIRST_SCREEN)  # JavaScript off
    phone.goto("/sign-in")
    if language == "cy":
        switch_language(phone, "Cymraeg")
    sign_in_by_keys(phone, scene.claimant.account.username)
    expect(phone.locator("html")).to_have_attribute("lang", language)

    # What the mix says is waiting is on the page (so the measure below is of a full page).
    main = phone.locator("main")
    expect(main.locator(".app-caller-check")).to_have_count(int(mix.caller_check))
    expect(main.locator(".app-draft")).to_have_count(mix.drafts)
    expect(main.locator("#news-title")).to_have_count(int(mix.letters_and_news))
    unread = main.locator("#letters-unread")  # "You have 3 new letters", or "Your letters"
    if mix.letters_and_news:
        expect(unread).to_have_text(re.compile(r"\d"))
    else:
        expect(unread).not_to_have_text(re.compile(r"\d"))
    stop_all = main.locator("a[href='/access/stop-all']")
    home = _bottom(stop_all)
    assert_fits(phone)

    stop_all.click()
    stop_all_question = _bottom(main.locator("form[action='/access/stop-all'] button"))

    phone.goto("/")
    main.locator(f"a[href='/access/{scene.priya_grant.id}/revoke']").click()
    stop_one_question = _bottom(main.locator("form[action$='/revoke'] button"))
    phone.context.close()

    measured = {
        "home: Stop all access": home,
        "Stop all access?: Yes": stop_all_question,
        "Stop access for Priya Shah?: Yes": stop_one_question,
    }
    print("bottom edges, px:", measured)
    below = {name: px for name, px in measured.items() if px > FIRST_SCREEN["height"]}
    assert below == {}, f"below the first screen (568 px): {below}"
