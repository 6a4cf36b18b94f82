"""The sign-in page's `next` survives the trip through One Login: kept with the state in the
browser's session, never sent to the provider, and the claimant lands there after signing in,
or after linking by reference and code. A `next` that safe_next refuses is dropped."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.oidc.fixtures import OidcProvider, at_provider, local, one_login
from tests.oidc.people import claimant_with_email
from tests.one_login.test_a_claimant_links_by_reference_and_code import (
    ask_for_code,
    code_sent_to,
    type_code,
)

NEXT = "/history?page=2"


def test_the_sign_in_page_hands_next_to_one_login(app: Flask, oidc_app: Flask):
    page = oidc_app.test_client().get("/sign-in", query_string={"next": NEXT})

    assert 'href="/one-login/start?next=/history?page%3D2"' in page.text


def test_next_is_not_sent_to_the_provider_and_is_where_they_land(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")
    client = oidc_app.test_client()

    start = client.get("/one-login/start", query_string={"next": NEXT})
    to_provider = start.headers["Location"]
    assert to_provider.startswith(oidc_provider.issuer)
    assert "next" not in to_provider and "history" not in to_provider
    answer = client.get(local(at_provider(oidc_provider, to_provider, "alex")))

    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"] == NEXT


def test_after_linking_by_code_they_land_on_next(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        claimant_id = claimant_with_email("sam@example.com", "UC-2002-SM", name="Sam Morgan").id
    client = oidc_app.test_client()
    assert (
        one_login(client, oidc_provider, "stranger", next_url=NEXT)
        .headers["Location"]
        .endswith("/one-login/link")
    )
    assert ask_for_code(client, "UC-2002-SM").status_code == 303

    answer = type_code(client, code_sent_to(oidc_app, claimant_id))

    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"] == NEXT


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "history"]
)
def test_a_next_that_safe_next_refuses_is_dropped(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider, unsafe: str
):
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")

    answer = one_login(oidc_app.test_client(), oidc_provider, "alex", next_url=unsafe)

    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"] == "/"
