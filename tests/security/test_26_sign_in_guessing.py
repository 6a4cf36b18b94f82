"""security.md 26: sign-in guessing. Argon2 password hashes; after 5 failures of one account from
one address, 429 and a growing wait (security.md 31); at most 50 failures per address in 15
minutes across accounts; an unknown username costs the same Argon2 work as a known one, by
design."""

from __future__ import annotations

import dataclasses

from broker import services
from broker.extensions import db
from broker.people import accounts
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_claimant


def attempt(browser, username: str, password: str):  # noqa: ANN001, ANN201
    page = browser.get("/sign-in")
    return browser.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
    )


def test_the_sixth_wrong_password_is_429_even_if_it_is_right(app, case):
    browser = app.test_client()

    wrong = [attempt(browser, case.username, f"guess-{n}") for n in range(5)]
    sixth = attempt(browser, case.username, PASSWORD)

    assert [r.status_code for r in wrong] == [400] * 5
    assert sixth.status_code == 429
    assert "Retry-After" in sixth.headers
    assert browser.get("/").status_code == 303  # still signed out
    assert case.claimant.account.password_hash.startswith("$argon2")


def test_spraying_many_accounts_from_one_address_is_429_after_the_address_cap(app, case):
    browser = app.test_client()
    token = csrf_from(browser.get("/sign-in").text)
    sprayed = [
        browser.post(
            "/sign-in",
            data={"username": f"nobody-{n}@example.com", "password": "guess", "csrf_token": token},
        ).status_code
        for n in range(accounts.ADDRESS_LIMIT)
    ]

    other = make_claimant()
    response = attempt(browser, other.account.username, PASSWORD)

    assert sprayed == [400] * accounts.ADDRESS_LIMIT
    assert response.status_code == 429


def test_an_unknown_username_costs_one_argon2_verify_like_a_known_one(app, case, monkeypatch):
    bound = services.of(app)
    real = bound.hasher
    calls: list[str] = []

    class CountingHasher:  # observes the real hasher; changes nothing it does
        def verify(self, hash_: str, password: str) -> bool:
            calls.append(hash_)
            return real.verify(hash_, password)

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    monkeypatch.setitem(
        app.extensions, services.EXTENSION, dataclasses.replace(bound, hasher=CountingHasher())
    )
    browser = app.test_client()

    known = attempt(browser, case.username, "wrong")
    unknown = attempt(browser, "nobody@example.com", "wrong")

    assert known.status_code == unknown.status_code == 400
    message = "The email address or password is wrong"
    assert known.text.count(message) == unknown.text.count(message) >= 1
    assert len(calls) == 2 and all(h.startswith("$argon2") for h in calls)
    db.session.rollback()
