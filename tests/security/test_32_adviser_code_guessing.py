"""security.md 32: adviser-code guessing. A hit names an adviser and their organisation, so code
entry on "Give someone access" is limited like user codes (security.md 21): at most 5 wrong codes
per window per claimant (and many more per address, shared by everyone there), then 429 with a
clear message, even for the right code."""

from __future__ import annotations

from broker import ratelimit
from broker.extensions import db
from broker.models import Grant
from broker.people import accounts
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant


def give_access(browser, code: str, **extra: str):  # noqa: ANN001, ANN201
    page = browser.get("/access/new")
    return browser.post(
        "/access/new",
        data={
            "csrf_token": csrf_from(page.text),
            "adviser_code": code,
            "purpose": "Help with my appeal",
            "relationship": "Welfare rights adviser",
            "months": "3",
            "scopes": ["mr:read"],
            **extra,
        },
    )


def phone_at(app, username: str, address: str):  # noqa: ANN001, ANN201
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    sign_in(browser, username)
    return browser


def test_the_sixth_wrong_code_is_429_even_if_it_is_right(app, case):
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    guesser = phone_at(app, case.username, "203.0.113.5")

    wrong = [give_access(guesser, f"NSA-{n:04d}") for n in range(accounts.WRONG_CODE_LIMIT)]
    right = give_access(guesser, adviser.code, confirmed="yes")

    assert [r.status_code for r in wrong] == [400] * accounts.WRONG_CODE_LIMIT
    assert "We cannot find an adviser with that code" in wrong[0].text
    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) > 0
    assert "You have tried too many codes. Wait 15 minutes, then try again" in right.text
    assert "Priya Shah" not in right.text and "Northside" not in right.text
    assert db.session.scalars(db.select(Grant)).all() == []


def test_wrong_codes_also_count_per_address_at_a_higher_limit(app, case):
    """One address is often many people (security.md 65): it is limited across all of them,
    but far above one person's limit."""
    adviser = make_adviser()
    for n in range(ratelimit.SHARED_GUESS_LIMIT):
        claimant = case.username if n < accounts.WRONG_CODE_LIMIT else None
        username = claimant or make_claimant().account.username
        give_access(phone_at(app, username, "203.0.113.6"), f"ZZZ-{n:04d}")

    second = phone_at(app, make_claimant().account.username, "203.0.113.6")
    elsewhere = phone_at(app, make_claimant().account.username, "198.51.100.6")

    assert give_access(second, adviser.code).status_code == 429
    assert give_access(elsewhere, adviser.code).status_code == 200  # the check page


def test_wrong_codes_also_count_per_claimant_whatever_the_address(app, case):
    adviser = make_adviser()
    for n in range(accounts.WRONG_CODE_LIMIT):
        give_access(phone_at(app, case.username, f"203.0.113.{n + 10}"), f"ZZZ-{n:04d}")

    assert (
        give_access(phone_at(app, case.username, "198.51.100.7"), adviser.code).status_code == 429
    )


def test_after_the_window_the_right_code_works_again(app, case, frozen_clock):
    adviser = make_adviser()
    phone = phone_at(app, case.username, "203.0.113.8")
    for n in range(accounts.WRONG_CODE_LIMIT):
        give_access(phone, f"ZZZ-{n:04d}")
    assert give_access(phone, adviser.code).status_code == 429

    frozen_clock.advance(minutes=15, seconds=1)
    phone = phone_at(app, case.username, "203.0.113.8")  # a new session: the old one idled out

    assert give_access(phone, adviser.code).status_code == 200
