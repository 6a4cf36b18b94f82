"""Once linked, the claimant's password no longer signs them in: the page points to One Login."""

from __future__ import annotations

from flask import Flask

from tests.conftest import csrf_from
from tests.factories import PASSWORD
from tests.oidc.fixtures import OidcProvider, one_login
from tests.oidc.people import claimant_with_email


def test_the_password_is_refused_with_a_pointer_to_one_login(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")
    assert one_login(oidc_app.test_client(), oidc_provider, "alex").status_code == 303

    client = oidc_app.test_client()
    page = client.get("/sign-in")
    refused = client.post(
        "/sign-in",
        data={
            "username": "alex@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )

    assert refused.status_code == 400
    assert "You now sign in with GOV.UK One Login" in refused.text
    assert client.get("/").status_code == 303  # still signed out


def test_the_sign_in_page_offers_one_login_first(app: Flask, oidc_app: Flask):
    page = oidc_app.test_client().get("/sign-in").text
    assert "Sign in with GOV.UK One Login" in page
    assert page.index("Sign in with GOV.UK One Login") < page.index('name="password"')


def test_without_the_settings_the_page_is_as_before(app: Flask):
    page = app.test_client().get("/sign-in").text
    assert "One Login" not in page
    assert app.test_client().get("/one-login/start").status_code == 404


def test_a_passkey_added_before_the_link_no_longer_signs_in(app: Flask, ctx):
    from broker import clock
    from broker.extensions import db
    from broker.people import external_sign_in
    from tests.conftest import sign_in
    from tests.passkeys.authenticator import SoftAuthenticator
    from tests.passkeys.conftest import ORIGIN, RP_ID, add_passkey, passkey_options, post_assertion

    claimant = claimant_with_email("alex@example.com", "UC-2001-AM")
    device = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    client = app.test_client()
    sign_in(client, "alex@example.com")
    assert add_passkey(client, device).status_code == 200
    external_sign_in.link(
        claimant.account, "https://oidc.example", "alex", how="email", now=clock.now()
    )
    db.session.commit()

    fresh = app.test_client()
    csrf, options = passkey_options(fresh)
    answer = post_assertion(fresh, csrf, device.get(options))

    assert answer.status_code == 400
    assert "GOV.UK One Login" in answer.get_json()["error"]
    assert fresh.get("/").status_code == 303
