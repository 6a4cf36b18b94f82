"""Alex has given Priya (Northside Citizens Advice) access; Priya is signed in to the console and
Alex on their phone; Riverside's case system holds a refresh token under the same grant and has
a push endpoint. The tests change the access in every way and watch the other side."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from broker import clock
from broker.consent import clients
from broker.extensions import db
from broker.models import RefreshToken
from broker.opaque import hash_secret
from tests.conftest import sign_in
from tests.factories import make_adviser, make_claimant, make_grant, make_staff
from tests.watch.helpers import CLIENT_ID, register_case_system

SCOPES = "mr:read journal:read"


@pytest.fixture
def alex_and_priya(app, ctx, frozen_clock, receiver):  # noqa: ANN001, ANN201
    secret = register_case_system(receiver, scope_names=SCOPES)
    claimant = make_claimant("Alex Morgan")
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, priya, SCOPES, months=3)
    refresh = "riverside-refresh-token-for-tests"
    db.session.add(
        RefreshToken(
            token_hash=hash_secret(refresh),
            client_id=CLIENT_ID,
            grant_id=grant.id,
            scopes=SCOPES,
            family_id=grant.id,
            issued_at=clock.now(),
            expires_at=grant.ends_at,
        )
    )
    db.session.commit()
    phone, console = app.test_client(), app.test_client()
    sign_in(phone, claimant.account.username)
    sign_in(console, priya.account.username)
    return SimpleNamespace(
        claimant=claimant,
        priya=priya,
        grant=grant,
        phone=phone,
        console=console,
        refresh=refresh,
        staff=make_staff("Jordan Lee"),
        case_system=clients.active(CLIENT_ID),
        secret=secret,
    )
