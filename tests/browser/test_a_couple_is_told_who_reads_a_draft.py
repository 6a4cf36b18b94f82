"""In a couple claim, the check-before-send banner says in plain words whether the partner will be
able to read what the adviser wants to send (issue 27, security.md 78): on a 320-pixel phone, in
English and Welsh, without sideways scrolling, and axe-clean."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from broker.extensions import db
from tests.browser.conftest import AXE_OPTIONS, NARROW_PHONE, assert_fits, new_page, switch_language
from tests.factories import bearer, issue_token, make_adviser, make_claimant, make_grant

pytestmark = pytest.mark.browser

SAID = {
    ("en", False): "Your partner will be able to read this in your journal.",
    ("cy", False): "Bydd eich partner yn gallu darllen hwn yn eich dyddlyfr.",
    ("en", True): "Your partner will not be able to read this. It mentions health or abuse, so it"
    " is kept private.",
    ("cy", True): "Ni fydd eich partner yn gallu darllen hwn. Mae'n sôn am iechyd neu gam-drin,"
    " felly caiff ei gadw'n breifat.",
}
REASONS = {
    False: "The decision missed the payslips sent in March.",
    True: "The assessment missed the letter from the doctor about her depression.",
}


@pytest.fixture
def couple(app, ctx):  # noqa: ANN001, ANN201
    alex = make_claimant("Alex Morgan")
    make_claimant("Sam Morgan", partner=alex)
    db.session.commit()
    grant = make_grant(
        alex,
        make_adviser("Priya Shah", "Northside Citizens Advice"),
        "mr:request",
        check_before_send=True,
    )
    token, _ = issue_token(grant)
    return alex, token


@pytest.mark.parametrize("language", ["en", "cy"])
@pytest.mark.parametrize("sensitive", [False, True])
def test_the_banner_says_whether_the_partner_reads_it(
    app, browser, live_server, couple, language, sensitive
):
    alex, token = couple
    answer = app.test_client().post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": "Limited capability for work", "reasons": REASONS[sensitive]},
    )
    assert answer.status_code == 202
    page = new_page(browser, live_server, NARROW_PHONE, javascript=True)
    page.goto("/sign-in")
    if language == "cy":
        switch_language(page, "Cymraeg")
    page.locator("#username").fill(alex.account.username)
    page.locator("#password").fill("pw-for-tests")
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_load_state("load")

    said = page.locator(".app-draft__partner")

    assert said.inner_text().strip() == SAID[(language, sensitive)]
    assert said.is_visible()
    assert_fits(page)
    assert Axe().run(page, options=AXE_OPTIONS).response["violations"] == []
    page.context.close()
