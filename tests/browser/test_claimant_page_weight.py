"""Each claimant page transfers at most 100 KB on a first visit (HTML, CSS, JavaScript, images
and fonts together), measured from the browser's own network events, on a phone with
JavaScript off. The stylesheet travels gzipped."""

from __future__ import annotations

import re

import pytest

from tests.accessibility.scene import build, pages
from tests.browser.conftest import PHONE, Transfer, cold_cache, new_page

pytestmark = pytest.mark.browser

LIMIT = 100 * 1024
STYLESHEET = re.compile(r"/static/build/app\.[0-9a-f]{12}\.css$")  # under its content-hashed name


def test_every_claimant_page_transfers_at_most_100_kb(app, ctx, browser, live_server, frozen_clock):
    scene = build(app, frozen_clock)
    page = new_page(browser, live_server, PHONE)
    cold_cache(page)
    transfer = Transfer(page)
    weights: dict[str, int] = {}

    for claimant_page in sorted(pages(app, scene), key=lambda p: p.signed_in):
        if claimant_page.signed_in and not _signed_in(page):
            _sign_in(page, scene.claimant.account.username)
        claimant_page.open(page, scene)
        page.wait_for_load_state("load")
        weights[claimant_page.name] = transfer.total()
        assert any(STYLESHEET.search(url) for url in transfer.by_url()), claimant_page.name
    page.context.close()

    print("page weight (bytes):", weights)
    heavy = {name: size for name, size in weights.items() if size > LIMIT}
    assert heavy == {}


def test_the_stylesheet_is_sent_gzipped_to_a_browser_that_accepts_it(app, browser, live_server):
    page = new_page(browser, live_server, PHONE)
    css = page.request.get("/static/build/app.css", headers={"Accept-Encoding": "gzip"})
    plain = page.request.get("/static/build/app.css", headers={"Accept-Encoding": "identity"})

    assert css.headers.get("content-encoding") == "gzip"
    assert css.headers["content-type"].startswith("text/css")
    assert "Accept-Encoding" in css.headers.get("vary", "")
    assert "content-encoding" not in plain.headers
    assert css.body() == plain.body()  # Playwright inflates it: the same stylesheet either way
    page.context.close()


def _signed_in(page) -> bool:  # noqa: ANN001
    return (
        any(c["name"] == "session" for c in page.context.cookies())
        and page.locator("form[action='/sign-out']").count() > 0
    )


def _sign_in(page, username: str) -> None:  # noqa: ANN001
    page.goto("/sign-in")
    page.locator("#username").fill(username)
    page.locator("#password").fill("pw-for-tests")
    page.locator("form[action='/sign-in'] button[type=submit]").click()
