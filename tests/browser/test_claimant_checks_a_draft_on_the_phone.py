"""The claimant approves an adviser's draft on a 320-pixel phone with JavaScript off: a line at the
top of the home page leads to the draft in plain words, Send it lodges it; the home page with a
draft is axe-clean in English and Welsh (and photographed for the README's reviewers)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from broker.extensions import db
from broker.models import JournalEntry
from tests.browser.conftest import (
    AXE_OPTIONS,
    NARROW_PHONE,
    assert_fits,
    new_page,
    sign_in_page,
    switch_language,
)
from tests.factories import bearer, issue_token, make_adviser, make_claimant, make_grant

pytestmark = pytest.mark.browser
# `SCREENSHOTS=screenshots pytest ...` (as `make screenshots`) keeps phone photographs there.
SHOTS = os.environ.get("SCREENSHOTS")


def photograph(page, name: str) -> None:  # noqa: ANN001
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


@pytest.fixture
def waiting(app, ctx):  # noqa: ANN001, ANN201
    """Alex's adviser has sent an MR request that waits for Alex to check it."""
    claimant = make_claimant("Alex Morgan")
    grant = make_grant(
        claimant,
        make_adviser("Priya Shah", "Northside Citizens Advice"),
        "mr:read mr:request",
        check_before_send=True,
    )
    token, jti = issue_token(grant)
    answer = app.test_client().post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={
            "decision_about": "Limited capability for work",
            "reasons": "The assessment missed the letter from my doctor.",
        },
    )
    assert answer.status_code == 202
    return claimant, jti


def test_the_claimant_sends_the_draft_from_a_small_phone_without_javascript(
    browser, live_server, waiting
):
    claimant, jti = waiting
    page = new_page(browser, live_server, NARROW_PHONE)
    sign_in_page(page, claimant.account.username)

    page.get_by_role("link", name="You have 1 request to check before it is sent").click()
    draft = page.get_by_role("region", name="Check this before it is sent")
    assert draft.is_visible()
    assert "Priya Shah, Northside Citizens Advice wants to send this for you." in draft.inner_text()
    assert "The assessment missed the letter from my doctor." in draft.inner_text()
    assert_fits(page)
    # A draft is not news of a request made: nothing has been sent yet.
    assert "asked us to look again" not in page.inner_text("main")
    photograph(page, "draft-to-check-en.png")
    draft.get_by_role("button", name="Send it").click()

    assert "Sent. DWP will now look at the decision again." in page.inner_text("main")
    assert page.get_by_role("region", name="Check this before it is sent").count() == 0
    db.session.rollback()  # end the test's read, to see what the server committed
    [entry] = db.session.scalars(
        db.select(JournalEntry).where(JournalEntry.claimant_id == claimant.id)
    ).all()
    assert (entry.kind, entry.token_id) == ("mr_request", jti)
    page.context.close()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_home_page_with_a_draft_is_axe_clean(browser, live_server, waiting, language):
    claimant, _ = waiting
    page = new_page(browser, live_server, NARROW_PHONE, javascript=True)
    page.goto("/sign-in")
    if language == "cy":
        switch_language(page, "Cymraeg")
    page.locator("#username").fill(claimant.account.username)
    page.locator("#password").fill("pw-for-tests")
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.locator(".app-draft").count() == 1
    if language == "cy":
        assert "Peidiwch ag anfon" in page.inner_text(".app-draft")
        photograph(page, "draft-to-check-cy.png")

    result = Axe().run(page, options=AXE_OPTIONS)

    assert result.response["violations"] == []
    page.goto("/access")
    page.wait_for_load_state("load")
    assert page.locator("form[action$='/check-first']").count() == 1
    assert Axe().run(page, options=AXE_OPTIONS).response["violations"] == []
    page.context.close()
