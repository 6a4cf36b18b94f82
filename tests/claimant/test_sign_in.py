"""Signing in: wrong passwords are refused plainly, guessing is rate limited, and `next` stays local."""

from __future__ import annotations

import pytest
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_claimant


def _attempt(client, username: str, password: str, next_url: str = ""):  # noqa: ANN001, ANN202
    page = client.get(f"/sign-in?next={next_url}" if next_url else "/sign-in")
    return client.post("/sign-in", data={"username": username, "password": password,
                                         "next": next_url, "csrf_token": csrf_from(page.text)})  # fmt: skip


@pytest.fixture
def claimant(ctx):  # noqa: ANN201
    return make_claimant("Alex Morgan")


def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(app, claimant):
    response = _attempt(app.test_client(), claimant.account.username, "not-it")
    assert response.status_code == 400
    assert "The email address or password is wrong" in response.text


def test_the_sixth_wrong_password_in_a_window_is_429_even_with_the_right_one(app, claimant):
    client = app.test_client()
    for _ in range(5):
        assert _attempt(client, claimant.account.username, "guess").status_code == 400

    blocked = _attempt(client, claimant.account.username, PASSWORD)

    assert blocked.status_code == 429
    assert "Too many tries" in blocked.text
    assert int(blocked.headers["Retry-After"]) > 0


def test_next_after_sign_in_must_be_a_local_path(app, claimant):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = _attempt(app.test_client(), claimant.account.username, PASSWORD, target)
        assert response.status_code == 303
        assert response.headers["Location"] == "/", target
    local = _attempt(app.test_client(), claimant.account.username, PASSWORD, "/history")
    assert local.headers["Location"] == "/history"


def test_sign_in_without_its_csrf_token_is_refused(app, claimant):
    client = app.test_client()
    response = client.post("/sign-in", data={"username": claimant.account.username,
                                             "password": PASSWORD})  # fmt: skip
    assert response.status_code == 400
    assert client.get("/access").status_code == 303  # still signed out
