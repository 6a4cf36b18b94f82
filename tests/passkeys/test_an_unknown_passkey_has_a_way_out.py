"""The sign-in history tells someone who finds a passkey they do not know what they can do here:
remove it, and (a claimant) sign out everywhere else and call DWP. It never tells them to change
their password: the service has no page for that."""

from __future__ import annotations

import re

from flask import Flask

from tests.conftest import sign_in
from tests.factories import make_adviser, make_claimant
from tests.staff.helpers import assert_page, text_of

from .conftest import add_passkey

LINKS = re.compile(r'<a class="govuk-link" href="([^"]+)">([^<]+)</a>')


def history_of(app: Flask, username: str, device) -> tuple[str, dict[str, str]]:  # noqa: ANN001
    client = app.test_client()
    sign_in(client, username)
    assert add_passkey(client, device).status_code == 200
    html = assert_page(client.get("/account/history"))
    links = {words: href for href, words in LINKS.findall(html)}
    for href in links.values():
        assert client.get(href).status_code == 200, href
    return text_of(html), links


def test_a_claimant_is_told_to_remove_it_sign_out_elsewhere_and_call_dwp(app: Flask, ctx, device):
    words, links = history_of(app, make_claimant().account.username, device)

    assert "change your password" not in words
    assert "If you do not know a passkey:" in words
    assert links["remove that passkey"] == "/account/sign-in"
    assert links["sign out everywhere else"] == "/sign-out-elsewhere"
    assert "call DWP on the number on GOV.UK" in words


def test_an_adviser_is_told_to_remove_it_and_nothing_only_a_claimant_can_do(
    app: Flask, ctx, device
):
    words, links = history_of(app, make_adviser().account.username, device)

    assert "change your password" not in words
    assert links["remove that passkey"] == "/account/sign-in"
    assert "sign out everywhere else" not in links
    assert "call DWP" not in words
