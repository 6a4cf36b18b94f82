"""security.md 58: linking someone else's claim to your One Login by guessing. The code goes to
the claimant's own contact details; wrong codes count per claimant and per address: after 5 in
15 minutes even the right code is refused (429, Retry-After), while another claimant linking
from elsewhere is not held up. New codes are limited too: 3 an hour per claimant, past which
none is sent and the answer stays the same (a 429 would tell that the reference is a claim's),
and 10 an hour per address, whatever it names."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from broker.extensions import db
from broker.models import ExternalIdentity, OutboxMessage
from tests.conftest import csrf_from
from tests.oidc.fixtures import OidcProvider, at_provider, local
from tests.oidc.people import claimant_with_email


def browser_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def reach_link_page(client: FlaskClient, provider: OidcProvider, login: str) -> None:
    start = client.get("/one-login/start")
    back = client.get(local(at_provider(provider, start.headers["Location"], login)))
    assert back.headers["Location"].endswith("/one-login/link")


def ask(client: FlaskClient, reference: str):  # noqa: ANN201
    page = client.get("/one-login/link")
    return client.post(
        "/one-login/link", data={"reference": reference, "csrf_token": csrf_from(page.text)}
    )


def type_code(client: FlaskClient, code: str):  # noqa: ANN201
    page = client.get("/one-login/link/code")
    return client.post(
        "/one-login/link/code", data={"code": code, "csrf_token": csrf_from(page.text)}
    )


def latest_code(app: Flask, claimant_id: str) -> str:
    with app.app_context():
        body = db.session.scalar(
            select(OutboxMessage.body)
            .where(OutboxMessage.account_id == claimant_id)
            .order_by(OutboxMessage.created_at.desc())
        )
    return re.search(r"\b(\d{6})\b", body).group(1)


def test_five_wrong_codes_then_even_the_right_one_is_refused(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        sam_id = claimant_with_email("sam@example.com", "UC-2002-SM").id
        pat_id = claimant_with_email("pat@example.com", "UC-2003-PT").id
    guesser = browser_at(oidc_app, "203.0.113.7")
    reach_link_page(guesser, oidc_provider, "stranger")
    ask(guesser, "UC-2002-SM")
    right = latest_code(oidc_app, sam_id)
    wrong = "111111" if right != "111111" else "222222"
    for _ in range(5):
        assert type_code(guesser, wrong).status_code == 400

    refused = type_code(guesser, right)

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many tries" in refused.text
    # Another claimant, from another address, links at once.
    other = browser_at(oidc_app, "198.51.100.20")
    reach_link_page(other, oidc_provider, "alex-unverified")
    ask(other, "UC-2003-PT")
    assert type_code(other, latest_code(oidc_app, pat_id)).status_code == 303
    with oidc_app.app_context():
        links = db.session.scalars(select(ExternalIdentity.account_id)).all()
    assert links == [pat_id]


def test_codes_to_one_claimant_are_limited(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        sam_id = claimant_with_email("sam@example.com", "UC-2002-SM").id
    client = browser_at(oidc_app, "203.0.113.8")
    reach_link_page(client, oidc_provider, "stranger")
    for _ in range(4):
        assert ask(client, "UC-2002-SM").status_code == 303  # the same answer, sent or not
    with oidc_app.app_context():
        sent = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.account_id == sam_id)
        )
    assert sent == 3


def test_codes_from_one_address_are_limited(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    client = browser_at(oidc_app, "203.0.113.9")
    reach_link_page(client, oidc_provider, "stranger")
    for _ in range(10):
        assert ask(client, "UC-9999-XX").status_code == 303

    refused = ask(client, "UC-9999-XX")

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
