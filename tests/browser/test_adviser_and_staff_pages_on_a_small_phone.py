"""Adviser and staff pages never scroll sideways on a 320-pixel phone (issue 23). With `make run`'s
demo data, the adviser's "My clients", a client's page and the staff claimant record each fit the
screen's width: a table wider than the screen scrolls sideways in its own named region, which
takes the keyboard focus, and the pages stay axe-clean (WCAG 2.2 A and AA) at that width."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe

from broker.extensions import db
from tests.browser.conftest import AXE_OPTIONS, NARROW_PHONE, assert_fits, new_page, sign_in_page

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the README's demo sign-ins


def _first_client(page) -> None:  # noqa: ANN001
    """From "My clients", open the first client who has given access, as the adviser would."""
    with page.expect_navigation():
        page.locator("main a[href^='/adviser/clients/']").first.click()


def _record(reference: str) -> Callable[[object], None]:
    return lambda page: page.goto(f"/staff/claimants/{reference}")


PAGES = {
    "Priya's My clients": ("priya@northside.example", None),
    "Tom's My clients": ("tom@riverside.example", None),
    "Priya's client Sam": ("priya@northside.example", _first_client),
    "Tom's client Alex": ("tom@riverside.example", _first_client),
    "staff record of Alex": ("jordan@dwp.example", _record("UC-1001-AM")),
    "staff record of Sam": ("jordan@dwp.example", _record("UC-1002-SM")),
}


@pytest.fixture
def demo(ctx, runner):  # noqa: ANN001, ANN201
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    db.session.rollback()  # hold no transaction open while the live server answers


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_does_not_scroll_sideways_at_320_px(browser, live_server, demo, name):
    username, open_page = PAGES[name]
    page = new_page(browser, live_server, NARROW_PHONE, javascript=True)  # axe needs JavaScript
    sign_in_page(page, username, DEMO_PASSWORD)
    if open_page is not None:
        open_page(page)
    assert_fits(page)
    tables = page.evaluate(
        """() => [...document.querySelectorAll('main table')].map((table) => {
            const region = table.closest('.app-table-scroll');
            return region && region.getAttribute('role') === 'region' &&
                region.getAttribute('tabindex') === '0' && region.getAttribute('aria-label');
        })"""
    )
    violations = [
        rule["id"] for rule in Axe().run(page, options=AXE_OPTIONS).response["violations"]
    ]
    page.context.close()

    assert tables and all(tables), f"{name}: a table outside a named, focusable region: {tables}"
    assert violations == []
