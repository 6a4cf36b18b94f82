"""Claimants, advisers, staff and admins each reach "Sign-in and passkeys" from their own pages:
the claimant's home page, and the others' menus (marked as the page they are on)."""

from __future__ import annotations

from flask import Flask

from broker import clock
from broker.extensions import db
from broker.people import accounts
from tests.conftest import sign_in
from tests.factories import PASSWORD, bound, make_adviser, make_claimant, make_staff

LINK = 'href="/account/sign-in"'


def test_a_claimant_finds_it_on_their_home_page(app: Flask, ctx):
    client = app.test_client()
    sign_in(client, make_claimant().account.username)
    assert LINK in client.get("/").text
    assert "Your passkeys" in client.get("/account/sign-in").text


def test_advisers_staff_and_admins_find_it_in_their_menu(app: Flask, ctx):
    admin = accounts.create_account(
        "robin@broker.example", PASSWORD, "admin", "Robin Admin", clock.now(), hasher=bound().hasher
    )
    db.session.commit()
    for username in (
        make_adviser().account.username,
        make_staff().account.username,
        admin.username,
    ):
        client = app.test_client()
        sign_in(client, username)
        page = client.get("/account/sign-in").text
        assert f'{LINK} aria-current="page">Sign-in and passkeys</a>' in page, username
        assert "Your passkeys" in page
