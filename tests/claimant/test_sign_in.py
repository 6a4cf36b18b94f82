"""Signing in: wrong passwords are refused plainly, guessing is limited (a growing wait per
account and address, a higher cap per address), `next` stays local."""

from __future__ import annotations

import pytest

from broker.people.accounts import ADDRESS_LIMIT
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_claimant


def _attempt(client, username: str, password: str, next_url: str = ""):  # noqa: ANN001, ANN202
    page = client.get(f"/sign-in?next={next_url}" if next_url else "/sign-in")
    return client.post(
        "/sign-in",
        data={
            "username": username,
            "password": password,
            "next": next_url,
            "csrf_token": csrf_from(page.text),
        },
    )


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


def _attempt_from(client, username: str, password: str, *, proxy: str, forwarded_for: str):  # noqa: ANN001, ANN202
    """A sign-in that arrives from `proxy`, which says it forwards `forwarded_for`."""
    where = {"environ_base": {"REMOTE_ADDR": proxy}, "headers": {"X-Forwarded-For": forwarded_for}}
    page = client.get("/sign-in", **where)
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
        **where,
    )


def _spray_from(client, count: int, *, proxy: str, forwarded_for: str, first: int = 0) -> list[int]:  # noqa: ANN001
    """`count` wrong passwords for as many different usernames, through one proxy."""
    where = {"environ_base": {"REMOTE_ADDR": proxy}, "headers": {"X-Forwarded-For": forwarded_for}}
    token = csrf_from(client.get("/sign-in", **where).text)
    return [
        client.post(
            "/sign-in",
            data={"username": f"nobody-{n}@example.com", "password": "guess", "csrf_token": token},
            **where,
        ).status_code
        for n in range(first, first + count)
    ]


def test_a_guesser_cannot_dodge_the_address_limit_by_inventing_forwarded_addresses(app, claimant):
    statuses = [
        _spray_from(
            app.test_client(), 1, proxy="192.0.2.50", forwarded_for=f"203.0.113.{n}", first=n
        )[0]
        for n in range(ADDRESS_LIMIT)
    ]

    blocked = _attempt_from(
        app.test_client(),
        claimant.account.username,
        PASSWORD,
        proxy="192.0.2.50",
        forwarded_for="198.51.100.9",
    )

    assert statuses == [400] * ADDRESS_LIMIT
    assert blocked.status_code == 429


def test_behind_a_proxy_one_guesser_does_not_lock_out_everyone_else(app, claimant):
    from broker import create_app

    behind_proxy = create_app({**app.config, "BROKER_PROXY_HOPS": 1})
    guesser = behind_proxy.test_client()
    statuses = _spray_from(
        guesser, ADDRESS_LIMIT + 1, proxy="10.0.0.1", forwarded_for="203.0.113.7"
    )

    someone_else = _attempt_from(
        behind_proxy.test_client(),
        claimant.account.username,
        PASSWORD,
        proxy="10.0.0.1",
        forwarded_for="198.51.100.9",
    )

    assert statuses[-1] == 429  # spraying one address over many accounts stops
    assert someone_else.status_code == 303


def test_the_wait_after_five_wrong_passwords_is_one_minute_then_it_doubles(
    app, claimant, frozen_clock
):
    client = app.test_client()
    for _ in range(5):
        assert _attempt(client, claimant.account.username, "guess").status_code == 400

    waiting = _attempt(client, claimant.account.username, PASSWORD)
    frozen_clock.advance(minutes=1)
    sixth = _attempt(client, claimant.account.username, "guess")
    too_soon = _attempt(client, claimant.account.username, PASSWORD)
    frozen_clock.advance(minutes=2)
    right = _attempt(client, claimant.account.username, PASSWORD)

    assert waiting.status_code == 429
    assert "Too many tries. Wait 1 minute, then try again" in waiting.text
    assert waiting.headers["Retry-After"] == "60"
    assert sixth.status_code == 400
    assert too_soon.status_code == 429 and too_soon.headers["Retry-After"] == "120"
    assert "Wait 2 minutes" in too_soon.text
    assert right.status_code == 303


def test_next_after_sign_in_must_be_a_local_path(app, claimant):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = _attempt(app.test_client(), claimant.account.username, PASSWORD, target)
        assert response.status_code == 303
        assert response.headers["Location"] == "/", target
    local = _attempt(app.test_client(), claimant.account.username, PASSWORD, "/history")
    assert local.headers["Location"] == "/history"


def test_sign_in_without_its_csrf_token_is_refused(app, claimant):
    client = app.test_client()
    response = client.post(
        "/sign-in", data={"username": claimant.account.username, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/access").status_code == 303  # still signed out


def test_signing_out_says_you_have_signed_out_with_a_link_to_sign_in_again(app, claimant):
    client = app.test_client()
    _attempt(client, claimant.account.username, PASSWORD)
    home = client.get("/")

    response = client.post("/sign-out", data={"csrf_token": csrf_from(home.text)})
    page = client.get(response.headers["Location"])

    assert response.status_code == 303
    assert '<h1 class="govuk-heading-l">You have signed out</h1>' in page.text
    assert 'href="/sign-in">Sign in again</a>' in page.text
    assert "Sign out" not in page.text  # nobody is signed in here now
    assert client.get("/access").status_code == 303  # to sign in


def test_sign_out_without_its_csrf_token_leaves_you_signed_in(app, claimant):
    client = app.test_client()
    _attempt(client, claimant.account.username, PASSWORD)

    response = client.post("/sign-out")

    assert response.status_code in (303, 400)
    assert client.get("/access").status_code == 200


def test_the_signed_out_page_is_in_welsh_for_a_welsh_speaker(app, claimant):
    client = app.test_client()
    client.set_cookie("language", "cy")

    page = client.get("/signed-out")

    assert page.status_code == 200
    assert 'lang="cy"' in page.text
    assert "You have signed out" not in page.text
