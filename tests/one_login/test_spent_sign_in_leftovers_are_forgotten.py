"""Retention (broker/retention.py) forgets a logout token's jti once the token has expired (a
replay is refused as expired by then), and link codes a day after they ran out."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from broker import clock, retention
from broker.extensions import db
from broker.models import LogoutTokenUse
from broker.people.oidc import BACKCHANNEL_LOGOUT_EVENT
from tests.oidc.fixtures import ONE_LOGIN_CLIENT, OidcProvider


def kept(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LogoutTokenUse))


def test_retention_forgets_spent_logout_tokens_once_they_expire(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    token = oidc_provider.sign(
        {
            "iss": oidc_provider.issuer,
            "aud": ONE_LOGIN_CLIENT,
            "iat": int(time.time()),
            "jti": str(uuid.uuid4()),
            "sub": "nobody-here",
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
    )
    answer = oidc_app.test_client().post("/oidc/backchannel-logout", data={"logout_token": token})
    assert answer.status_code == 200
    assert kept(oidc_app) == 1

    with oidc_app.app_context():
        soon = retention.run(now=clock.now(), config=oidc_app.config)
        later = retention.run(now=clock.now() + timedelta(minutes=10), config=oidc_app.config)

    assert soon.deleted["logout_token_uses"] == 0
    assert later.deleted["logout_token_uses"] == 1
    assert kept(oidc_app) == 0
