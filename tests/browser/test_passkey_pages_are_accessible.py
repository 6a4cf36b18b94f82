"""axe-core on the claimant's passkey pages, in English and Welsh, on a 320-pixel phone: no WCAG
2.0-2.2 A or AA violation, and nothing wider than the screen. With SCREENSHOTS set (as `make
screenshots` does), each page is photographed there too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from broker.extensions import db
from broker.models import Passkey
from tests.browser.conftest import (
    AXE_OPTIONS,
    NARROW_PHONE,
    assert_fits,
    new_page,
    sign_in_by_keys,
    switch_language,
)
from tests.conftest import sign_in
from tests.factories import make_claimant
from tests.passkeys.authenticator import SoftAuthenticator
from tests.passkeys.conftest import ORIGIN, RP_ID, add_passkey

pytestmark = pytest.mark.browser


@pytest.fixture
def device() -> SoftAuthenticator:
    return SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_passkey_pages_have_no_violations_at_320_px(
    app, ctx, browser, live_server, device, language, tmp_path
):
    claimant = make_claimant()
    setup = app.test_client()
    sign_in(setup, claimant.account.username)
    assert add_passkey(setup, device, name="My phone").status_code == 200
    passkey_id = db.session.scalar(db.select(Passkey.id))
    folder = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    page = new_page(browser, live_server, NARROW_PHONE, javascript=True)
    page.goto("/sign-in")
    if language == "cy":
        switch_language(page, "Cymraeg")
    violations = []
    for name, path in (
        ("sign-in", "/sign-in"),
        ("passkeys", "/account/sign-in"),
        ("remove-passkey", f"/account/passkeys/{passkey_id}/remove"),
        ("sign-in-history", "/account/history"),
    ):
        if name != "sign-in" and "account/" not in page.url:
            sign_in_by_keys(page, claimant.account.username)
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == language, name
        assert_fits(page)
        for rule in Axe().run(page, options=AXE_OPTIONS).response["violations"]:
            violations.append(f"{name}: {rule['id']} {[n['target'] for n in rule['nodes']]}")
        page.screenshot(path=str(folder / f"passkeys-{name}-{language}.png"), full_page=True)
    page.context.close()
    assert violations == []
