"""Browser fixtures: Playwright driving Debian's Chromium (/usr/bin/chromium) against the live
server. Playwright cannot download its own browser here, so it launches the system one."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker import clock
from broker.casework import caller_checks
from broker.extensions import db

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 375, "height": 667}
NARROW_PHONE = {"width": 320, "height": 640}
LAPTOP = {"width": 1280, "height": 800}
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_A_AA}, "resultTypes": ["violations"]}
# Chromium's background services try to reach Google; this machine's network refuses them.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def new_page(
    browser,
    base_url: str,
    viewport: dict[str, int] = PHONE,  # noqa: ANN001, ANN201
    javascript: bool = False,
):
    """A fresh context (own cookies) at this viewport; JavaScript off unless asked for."""
    context = browser.new_context(
        viewport=viewport, java_script_enabled=javascript, base_url=base_url, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def phone(browser, live_server: str) -> Iterator[object]:  # noqa: ANN001
    """A 375x667 phone with JavaScript switched off, pointed at the live server."""
    page = new_page(browser, live_server)
    yield page
    page.context.close()


@pytest.fixture
def laptop(browser, live_server: str) -> Iterator[object]:  # noqa: ANN001
    page = new_page(browser, live_server, LAPTOP, javascript=True)
    yield page
    page.context.close()


def snap(page, name: str) -> None:  # noqa: ANN001
    """A full-page photograph into $SCREENSHOTS when `make screenshots` runs; nothing otherwise
    (the journeys are tested either way)."""
    if folder := os.environ.get("SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_in_page(page, username: str, password: str = "pw-for-tests") -> None:  # noqa: ANN001, S107
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


# Helpers for the claimant's phone journeys (issue 5)


def switch_language(page, name: str) -> None:  # noqa: ANN001
    """Press the language switch's button for `name` ("Cymraeg" or "English")."""
    page.get_by_role("navigation", name=re.compile("^(Language|Iaith)$")).get_by_role(
        "button", name=name
    ).click()


def open_menu(page) -> None:  # noqa: ANN001
    """Tap "Menu" ("Dewislen") if the menu is folded, as on a phone (issue 23); from tablet width
    up it is always open and there is no toggle to tap. The menu is on every signed-in page, so
    waiting for it first means a sign-in still on its way is not mistaken for an open menu."""
    page.locator("details.app-menu").wait_for(state="attached")
    toggle = page.locator("summary.app-menu__toggle")
    if toggle.is_visible() and not toggle.evaluate("(summary) => summary.parentElement.open"):
        toggle.click()


def tab_to(page, target, most: int = 80) -> None:  # noqa: ANN001
    """Press Tab, as a keyboard-only user would, until `target` (a locator) has the focus."""
    handle = target.element_handle()
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(element) => document.activeElement === element", handle):
            return
    raise AssertionError(f"{target} never got the focus after {most} presses of Tab")


class Transfer:
    """Bytes the latest page load moved over the network: the document and everything it
    loaded, bodies as sent (compressed when they were) plus response headers."""

    def __init__(self, page) -> None:  # noqa: ANN001
        self.requests: list[object] = []
        self._page = page
        page.on("request", self._on_request)
        page.on("requestfinished", lambda request: self.requests.append(request))

    def _on_request(self, request) -> None:  # noqa: ANN001
        if request.is_navigation_request() and request.frame == self._page.main_frame:
            self.requests.clear()  # a new page starts: count only what it loads

    def by_url(self) -> dict[str, int]:
        sizes = {}
        for request in self.requests:
            measured = request.sizes()
            sizes[request.url] = max(0, measured["responseBodySize"]) + max(
                0, measured["responseHeadersSize"]
            )
        return sizes

    def total(self) -> int:
        return sum(self.by_url().values())


def cold_cache(page) -> None:  # noqa: ANN001
    """Make each load fetch everything again, as on a first visit: the worst case for weight."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})


def sign_in_by_keys(page, username: str) -> None:  # noqa: ANN001
    """Sign in without relying on the labels' words, which differ by language."""
    page.goto("/sign-in")
    page.locator("#username").fill(username)
    page.locator("#password").fill("pw-for-tests")
    page.locator("form[action='/sign-in'] button[type=submit]").click()


AXE_TIMEOUT_MS = 60_000


def axe_violations(page) -> list[str]:  # noqa: ANN001
    """What axe-core finds against WCAG A and AA, once the page has loaded.

    axe runs on the page's timers, which never fire with JavaScript off: awaited in one
    `page.evaluate` (which has no time limit) it would wait for ever. So it is started, and its
    answer waited for with a time limit, after a quick check that the page runs scripts at all."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.wait_for_load_state("load")
    page.evaluate("() => { window.__axeTick = false; setTimeout(() => (window.__axeTick = true)) }")
    try:
        page.wait_for_function("() => window.__axeTick", timeout=5_000)
    except PlaywrightTimeout:
        raise AssertionError(
            "axe needs JavaScript: open the page with new_page(..., javascript=True)"
        ) from None
    page.evaluate(Axe().axe_script)
    page.evaluate(
        "(options) => { window.__axeFound = null;"
        " axe.run(document, options).then(found => { window.__axeFound = found.violations }) }",
        AXE_OPTIONS,
    )
    found = page.wait_for_function("() => window.__axeFound", timeout=AXE_TIMEOUT_MS).json_value()
    return [f"{rule['id']}: {rule['nodes'][0]['target']}" for rule in found]


def assert_fits(page) -> None:  # noqa: ANN001
    """Nothing sticks out sideways (WCAG 1.4.10 reflow): the page is no wider than its viewport,
    so there is no horizontal scrolling. After a click that navigates, the old document may be
    going away as this runs: wait for the arriving page to have loaded and measure that one."""
    width = page.viewport_size["width"]
    page.wait_for_load_state()
    wide = page.wait_for_function(
        "document.readyState === 'complete' && document.documentElement"
        " && document.documentElement.scrollWidth"
    ).json_value()
    assert wide <= width, f"{page.url} is {wide}px wide, more than its {width}px"


def start_check(claimant, staff) -> str:  # noqa: ANN001
    """The staff member starts a caller check, as their button does (the write begins its
    transaction, as a POST's does); the code."""
    claimant_id, caller = claimant.id, caller_checks.Caller.staff(staff)
    db.session.rollback()
    check = caller_checks.start(claimant_id, caller, now=clock.now())
    code = check.code
    db.session.commit()
    return code


# Issue 25: GOV.UK One Login in Chromium, against a real OpenID Connect provider.
from tests.oidc.fixtures import (  # noqa: E402, F401
    broker_port,
    client_key_file,
    oidc_app,
    oidc_live_server,
    oidc_provider,
    staff_key_file,
)
