"""Keyboard only, on a phone with JavaScript off: every claimant journey completes with Tab,
Enter, and (for a checkbox or a radio button) Space and the arrow keys, and the focused control
can always be seen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from broker.extensions import db
from broker.models import Grant
from tests.accessibility.scene import build
from tests.browser.conftest import tab_to
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)

pytestmark = pytest.mark.browser


def focus_and(page, target, key: str = "Enter") -> None:  # noqa: ANN001
    """Tab to `target`, check the focus is visible on it, then press `key`."""
    tab_to(page, target)
    style = page.evaluate(
        "(e) => { const s = getComputedStyle(e); return [s.outlineStyle, s.boxShadow, "
        "s.backgroundColor]; }",
        target.element_handle(),
    )
    outline, shadow, background = style
    assert outline != "none" or shadow != "none" or background == "rgb(255, 221, 0)", target
    page.keyboard.press(key)


def type_into(page, target, text: str) -> None:  # noqa: ANN001
    tab_to(page, target)
    page.keyboard.type(text)


def sign_in_by_keyboard(page, username: str) -> None:  # noqa: ANN001
    page.goto("/sign-in")
    type_into(page, page.locator("#username"), username)
    type_into(page, page.locator("#password"), "pw-for-tests")
    page.keyboard.press("Enter")
    expect(page.locator("form[action='/sign-out']")).to_have_count(1)  # signed in


def test_give_access_then_stop_it_with_the_keyboard_only(ctx, phone):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    username, code = claimant.account.username, adviser.code
    db.session.rollback()

    sign_in_by_keyboard(phone, username)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hello, Alex Morgan")
    focus_and(phone, phone.get_by_role("button", name="Give someone access"))
    type_into(phone, phone.get_by_label("Their adviser code"), code)
    focus_and(phone, phone.get_by_label("Your reconsideration decisions"), "Space")
    tab_to(phone, phone.get_by_label("1 month"))
    phone.keyboard.press("ArrowDown")  # radios: the arrow keys choose within the group
    expect(phone.get_by_label("3 months")).to_be_checked()
    type_into(phone, phone.get_by_label("Why do they need it?"), "Help with my appeal")
    type_into(phone, phone.get_by_label("Who are they to you?"), "My adviser")
    phone.keyboard.press("Enter")  # Enter in a text field sends the form

    expect(phone.get_by_role("heading", level=1)).to_have_text("Check before you give access")
    focus_and(phone, phone.get_by_role("button", name="Give access"))
    expect(phone.get_by_role("alert")).to_contain_text("Priya Shah can now see what you chose")

    focus_and(phone, phone.get_by_role("link", name="Stop access for Priya Shah"))
    focus_and(phone, phone.get_by_role("button", name="Yes, stop access"))
    expect(phone.get_by_role("alert")).to_contain_text("Priya Shah can no longer see your journal")
    db.session.rollback()
    assert db.session.scalars(db.select(Grant.status)).all() == ["revoked"]


def test_stop_all_access_history_and_welsh_with_the_keyboard_only(app, ctx, phone):
    claimant = make_claimant("Alex Morgan")
    priya = make_grant(claimant, make_adviser("Priya Shah", "Northside Citizens Advice"))
    make_grant(claimant, make_adviser("Tom Reed", "Riverside Law Centre"))
    decision = make_decision(claimant, "Housing costs element")
    token, _ = issue_token(priya)
    app.test_client().get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))
    username = claimant.account.username
    db.session.rollback()

    sign_in_by_keyboard(phone, username)
    focus_and(phone, phone.locator("summary.app-menu__toggle"))  # the phone's menu is folded
    focus_and(phone, phone.get_by_role("link", name="What they looked at"))
    expect(phone.get_by_role("main")).to_contain_text("Read a reconsideration decision")

    focus_and(phone, phone.locator("summary.app-menu__toggle"))
    focus_and(phone, phone.get_by_role("link", name="Who can see your journal"))
    focus_and(phone, phone.get_by_role("link", name="Stop all access"))
    focus_and(phone, phone.get_by_role("button", name="Yes, stop all access"))
    expect(phone.get_by_text("Nobody can see your journal now.")).to_be_visible()

    focus_and(phone, phone.get_by_role("button", name="Cymraeg"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Pwy all weld eich dyddlyfr")
    focus_and(phone, phone.get_by_role("button", name="English"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Who can see your journal")
    db.session.rollback()
    assert set(db.session.scalars(db.select(Grant.status))) == {"revoked"}


def test_answer_a_qr_code_request_and_check_a_grant_at_review_with_the_keyboard_only(
    app, ctx, phone, frozen_clock
):
    scene = build(app, frozen_clock)  # Priya's request is waiting; Tom's review is due
    if scene.user_code is None or "claimant.review" not in app.view_functions:
        pytest.fail("the consent and review pages (issues 3 and 4) are missing")
    username = scene.claimant.account.username
    db.session.rollback()

    sign_in_by_keyboard(phone, username)
    phone.goto("/device")
    type_into(phone, phone.locator("#user_code"), scene.user_code)
    phone.keyboard.press("Enter")
    expect(phone.locator("#user-code")).to_have_text(scene.user_code)
    # Priya already has access, so only what is new is offered, and the end date is kept.
    expect(phone.get_by_label(re.compile("^Keep the same end date"))).to_be_checked()
    focus_and(phone, phone.get_by_label("Your journal"), "Space")  # untick it, then tick again
    expect(phone.get_by_label("Your journal")).not_to_be_checked()
    focus_and(phone, phone.get_by_label("Your journal"), "Space")
    focus_and(phone, phone.get_by_role("button", name="Yes, agree"))
    expect(phone.get_by_role("alert")).to_contain_text("You changed what Priya Shah can see")

    focus_and(phone, phone.get_by_role("link", name="Check their access for Tom Reed").first)
    focus_and(phone, phone.get_by_role("button", name=re.compile("^Yes, keep it until")))
    expect(phone.get_by_role("alert")).to_contain_text("You kept Tom Reed's access until")
    db.session.rollback()
    assert db.session.get(Grant, scene.priya_grant.id).scopes == "mr:read journal:read mr:request"
