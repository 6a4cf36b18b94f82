"""DWP staff sign in with the department's OpenID Connect provider: the staff role is needed;
the first sign-in makes (or links by email) their staff account."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from sqlalchemy import func, select

from broker import clock
from broker.extensions import db
from broker.models import Account, ExternalIdentity, StaffMember, UserSession
from broker.people import accounts
from tests.conftest import csrf_from
from tests.factories import PASSWORD, bound
from tests.oidc.fixtures import OidcProvider, at_provider, build_app, local, staff_sign_in


def test_a_person_with_the_staff_role_gets_a_staff_account_and_signs_in(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    client = oidc_app.test_client()

    answer = staff_sign_in(client, oidc_provider, "jordan")

    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"].startswith("/staff")
    assert client.get(answer.headers["Location"]).status_code == 200
    with oidc_app.app_context():
        account = db.session.scalar(select(Account).where(Account.username == "jordan@dwp.example"))
        assert (account.role, account.name) == ("staff", "Jordan Lee")
        assert db.session.get(StaffMember, account.id) is not None
        link = db.session.scalar(select(ExternalIdentity))
        assert (link.subject, link.account_id) == ("jordan", account.id)


def test_an_existing_staff_account_is_linked_by_email(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        staff = accounts.create_staff(
            "jordan@dwp.example", PASSWORD, "Jordan Lee", "Team", clock.now(), hasher=bound().hasher
        )
        db.session.commit()
        staff_id = staff.id

    assert staff_sign_in(oidc_app.test_client(), oidc_provider, "jordan").status_code == 303

    with oidc_app.app_context():
        assert db.session.scalar(select(ExternalIdentity)).account_id == staff_id
        assert db.session.scalar(select(func.count()).select_from(Account)) == 1
    # Linked, their password no longer signs them in, wherever the app runs.
    refused = password_sign_in(oidc_app, "jordan@dwp.example")
    assert refused.status_code == 400
    assert "DWP staff sign in with their department account" in refused.text


def test_without_the_role_they_are_told_why_and_nothing_is_made(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    answer = staff_sign_in(oidc_app.test_client(), oidc_provider, "casey")

    assert answer.status_code == 403
    assert "Your account does not have the DWP staff role needed to use this service" in answer.text
    assert "Ask your manager" in answer.text
    with oidc_app.app_context():
        for table in (Account, ExternalIdentity, UserSession):
            assert db.session.scalar(select(func.count()).select_from(table)) == 0


def test_a_claimants_email_never_becomes_staff(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        accounts.create_claimant(
            "jordan@dwp.example", PASSWORD, "Jo", "UC-3001-JO", clock.now(), hasher=bound().hasher
        )
        db.session.commit()

    answer = staff_sign_in(oidc_app.test_client(), oidc_provider, "jordan")

    assert answer.status_code == 400
    with oidc_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExternalIdentity)) == 0


def password_sign_in(application: Flask, username: str):  # noqa: ANN201
    client = application.test_client()
    page = client.get("/sign-in", base_url="https://localhost")
    return client.post(
        "/sign-in",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/sign-in"},  # Flask-WTF's check over HTTPS
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )


def test_production_with_staff_sign_in_refuses_staff_passwords(
    app: Flask, oidc_provider: OidcProvider, client_key_file: Path
):
    production = build_app(
        app,
        oidc_provider,
        client_key_file,
        BROKER_ENV="production",
        SECRET_KEY="a-production-secret-key-of-32-bytes-or-more",
        BROKER_ISSUER="https://localhost",  # production refuses an http issuer (security.md 67)
    )
    with production.app_context():
        accounts.create_staff(
            "sid@dwp.example", PASSWORD, "Sid", "Team", clock.now(), hasher=bound().hasher
        )
        accounts.create_claimant(
            "pat@example.com", PASSWORD, "Pat", "UC-3002-PT", clock.now(), hasher=bound().hasher
        )
        db.session.commit()

    refused = password_sign_in(production, "sid@dwp.example")
    assert refused.status_code == 400
    assert "DWP staff sign in with their department account" in refused.text
    assert password_sign_in(production, "pat@example.com").status_code == 303  # claimants may


def test_outside_production_staff_passwords_still_work(app: Flask, oidc_app: Flask):
    with oidc_app.app_context():
        accounts.create_staff(
            "sid@dwp.example", PASSWORD, "Sid", "Team", clock.now(), hasher=bound().hasher
        )
        db.session.commit()
    assert password_sign_in(oidc_app, "sid@dwp.example").status_code == 303


def test_staff_sign_in_asks_for_no_vtr_and_needs_no_vot(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    """The vector of trust is One Login's: the department's provider is not asked for one, and
    its ID tokens (jordan's has no `vot`) sign staff in."""
    client = oidc_app.test_client()
    start = client.get("/staff-sign-in/start")
    assert "vtr" not in parse_qs(urlsplit(start.headers["Location"]).query)
    assert "vot" not in oidc_provider.accounts["jordan"]

    assert staff_sign_in(oidc_app.test_client(), oidc_provider, "jordan").status_code == 303


def test_staff_land_on_the_sign_in_pages_next(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    client = oidc_app.test_client()
    start = client.get("/staff-sign-in/start", query_string={"next": "/staff/claimants"})
    assert "claimants" not in start.headers["Location"]

    answer = client.get(local(at_provider(oidc_provider, start.headers["Location"], "jordan")))

    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"] == "/staff/claimants"
