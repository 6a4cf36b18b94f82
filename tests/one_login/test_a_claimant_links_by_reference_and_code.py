"""No claimant has the verified email One Login gave: the claimant types their UC reference and
the code we send to the contact details we hold; the right code links and signs them in."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from broker.extensions import db
from broker.models import AuditEvent, Delivery, ExternalIdentity, OutboxMessage
from tests.conftest import csrf_from
from tests.oidc.fixtures import OidcProvider, one_login
from tests.oidc.people import claimant_with_email


def ask_for_code(client: FlaskClient, reference: str):  # noqa: ANN201
    page = client.get("/one-login/link")
    assert page.status_code == 200
    assert "Link your GOV.UK One Login" in page.text
    return client.post(
        "/one-login/link", data={"reference": reference, "csrf_token": csrf_from(page.text)}
    )


def type_code(client: FlaskClient, code: str):  # noqa: ANN201
    page = client.get("/one-login/link/code")
    return client.post(
        "/one-login/link/code", data={"code": code, "csrf_token": csrf_from(page.text)}
    )


def code_sent_to(app: Flask, claimant_id: str) -> str:
    with app.app_context():
        message = db.session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.account_id == claimant_id, OutboxMessage.kind == "sign_in_code")
            .order_by(OutboxMessage.created_at.desc())
        )
        assert message is not None
        return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_the_code_sent_to_the_claimant_links_and_signs_in(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        claimant = claimant_with_email("sam@example.com", "UC-2002-SM", name="Sam Morgan")
        claimant_id = claimant.id
    client = oidc_app.test_client()
    answer = one_login(client, oidc_provider, "stranger")
    assert answer.headers["Location"].endswith("/one-login/link")

    sent = ask_for_code(client, "uc-2002-sm")
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith("/one-login/link/code")
    with oidc_app.app_context():
        delivery = db.session.scalar(select(Delivery))
        assert (delivery.channel, delivery.address) == ("email", "sam@example.com")

    linked = type_code(client, code_sent_to(oidc_app, claimant_id))

    assert linked.status_code == 303, linked.text
    assert "Sam Morgan" in client.get("/").text
    with oidc_app.app_context():
        link = db.session.scalar(select(ExternalIdentity))
        assert (link.subject, link.account_id) == ("stranger", claimant_id)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in.linked"))
        assert (event.claimant_id, event.resource) == (claimant_id, "one_login:code")


def test_a_wrong_code_links_nobody(app: Flask, oidc_app: Flask, oidc_provider: OidcProvider):
    with oidc_app.app_context():
        claimant_with_email("sam@example.com", "UC-2002-SM")
    client = oidc_app.test_client()
    one_login(client, oidc_provider, "stranger")
    ask_for_code(client, "UC-2002-SM")

    wrong = type_code(client, "000000")

    assert wrong.status_code == 400
    assert "That code is not right" in wrong.text
    with oidc_app.app_context():
        assert db.session.scalar(select(ExternalIdentity)) is None


def test_an_unknown_reference_gets_the_same_answer_and_sends_nothing(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    client = oidc_app.test_client()
    one_login(client, oidc_provider, "stranger")

    sent = ask_for_code(client, "UC-9999-XX")

    assert sent.status_code == 303
    assert sent.headers["Location"].endswith("/one-login/link/code")
    with oidc_app.app_context():
        assert db.session.scalar(select(OutboxMessage)) is None


def test_the_link_pages_need_a_one_login_first(app: Flask, oidc_app: Flask):
    client = oidc_app.test_client()
    assert client.get("/one-login/link").status_code == 303
    assert client.get("/one-login/link/code").status_code == 303


def test_the_code_goes_to_the_claimant_alone_and_leaves_the_outbox_once_sent(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    from broker import clock, sweep
    from tests.factories import bound
    from tests.lifecycle.conftest import RecordingSender

    with oidc_app.app_context():
        claimant_id = claimant_with_email("sam@example.com", "UC-2002-SM").id
    client = oidc_app.test_client()
    one_login(client, oidc_provider, "stranger")
    ask_for_code(client, "UC-2002-SM")
    code = code_sent_to(oidc_app, claimant_id)

    sender = RecordingSender()
    with oidc_app.app_context():
        report = sweep.run(now=clock.now(), sender=sender, services=bound())
        body = db.session.scalar(select(OutboxMessage.body))

    assert report.sent == 1
    (message,) = sender.sent
    assert (message.channel, message.address) == ("email", "sam@example.com")
    assert code in message.body
    assert code not in body
