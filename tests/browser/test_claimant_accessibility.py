"""axe-core on every claimant page, in English and Welsh, on a 320-pixel phone and a 1280-pixel
laptop: no violation of any WCAG 2.0, 2.1 or 2.2 level A or AA rule."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.accessibility.scene import build, pages
from tests.browser.conftest import (
    AXE_OPTIONS,
    LAPTOP,
    NARROW_PHONE,
    new_page,
    sign_in_by_keys,
    switch_language,
)

pytestmark = pytest.mark.browser

WIDTHS = (NARROW_PHONE, LAPTOP)
LANGUAGES = {"en": "English", "cy": "Cymraeg"}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_claimant_page_has_no_wcag_a_or_aa_violations(
    app, ctx, browser, live_server, frozen_clock, language
):
    scene = build(app, frozen_clock)
    page = new_page(browser, live_server, NARROW_PHONE, javascript=True)  # axe itself needs JS
    axe = Axe()
    violations: list[str] = []
    checked = 0

    page.goto("/sign-in")
    if language != "en":
        switch_language(page, LANGUAGES[language])
    for claimant_page in sorted(pages(app, scene), key=lambda p: p.signed_in):
        if claimant_page.signed_in and "account_id" not in _cookies(page):
            sign_in_by_keys(page, scene.claimant.account.username)
        page.set_viewport_size(NARROW_PHONE)
        claimant_page.open(page, scene)
        # A click's navigation may still be loading: axe must see the page with its stylesheet,
        # or unstyled links fail target-size.
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == language, claimant_page.name
        for viewport in WIDTHS:  # the same page, laid out for a small phone, then a laptop
            page.set_viewport_size(viewport)
            result = axe.run(page, options=AXE_OPTIONS)
            checked += 1
            for rule in result.response["violations"]:
                targets = [node["target"] for node in rule["nodes"]]
                violations.append(
                    f"{claimant_page.name} at {viewport['width']}px: "
                    f"{rule['id']} ({rule['impact']}) {targets}"
                )
    page.context.close()

    print(f"axe: {checked} page views in {language}, {len(violations)} violations")
    assert violations == [], "\n".join(violations)
    assert checked >= 2 * 10


def _cookies(page) -> dict[str, str]:  # noqa: ANN001
    return {c["name"]: c["value"] for c in page.context.cookies()}
