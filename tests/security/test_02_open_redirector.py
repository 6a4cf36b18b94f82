"""security.md 2: open redirector. `next` after sign-in must be a local path."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import csrf_from
from tests.factories import PASSWORD


def sign_in_with_next(browser, username: str, target: str):  # noqa: ANN001, ANN201
    page = browser.get(f"/sign-in?next={quote(target, safe='')}")
    return browser.post(
        "/sign-in",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
            "next": target,
        },
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "https://evil.example/sign-in",
        "//evil.example/path",
        "/\\evil.example",
        "https:/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_sign_in_never_sends_the_claimant_off_site(app, case, target):
    browser = app.test_client()

    response = sign_in_with_next(browser, case.username, target)

    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert urlsplit(location).netloc == ""
    landed = browser.get(location, follow_redirects=True)
    assert landed.status_code == 200
    assert "Hello, Alex Morgan" in landed.text


def test_a_local_next_is_followed_so_consent_resumes_after_sign_in(app, case):
    browser = app.test_client()

    response = sign_in_with_next(browser, case.username, "/access?tab=1")

    assert response.headers["Location"] == "/access?tab=1"
