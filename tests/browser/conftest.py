"""Browser fixtures: Playwright driving Debian's Chromium (/usr/bin/chromium) against the live
server. Playwright cannot download its own browser here, so it launches the system one."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 375, "height": 667}
NARROW_PHONE = {"width": 320, "height": 640}
LAPTOP = {"width": 1280, "height": 800}
# Chromium's background services try to reach Google; this machine's network refuses them.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip


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


def new_page(browser, base_url: str, viewport: dict[str, int] = PHONE,  # noqa: ANN001, ANN201
             javascript: bool = False):  # fmt: skip
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


def sign_in_page(page, username: str, password: str = "pw-for-tests") -> None:  # noqa: ANN001
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
