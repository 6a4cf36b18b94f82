"""security.md 24: secrets in logs. Over full flows (sign-in, code + PKCE, refresh, device,
revoke, introspect, API calls) no log record holds a token, code, verifier, secret or password;
the audit log stores token IDs, never tokens."""

from __future__ import annotations

import logging

import pytest

from broker.consent import clients
from broker.extensions import db
from broker.models import AuditEvent
from tests.factories import PASSWORD, bearer
from tests.oauth.helpers import (
    CODE_AND_REFRESH,
    answer_device,
    approve_code,
    authorize_query,
    basic,
    make_client,
    pkce_pair,
    poll_device,
    query_of,
    redeem,
    refresh,
    start_device,
)


@pytest.fixture
def every_logger(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture everything at DEBUG, from every logger (the whole run's lines are checked too:
    tests/log_check.py)."""
    caplog.set_level(logging.DEBUG)
    return caplog


def test_no_secret_reaches_any_log_or_the_audit_table(app, case, every_logger):
    api = app.test_client()
    verifier, challenge = pkce_pair()
    location = approve_code(
        app.test_client(), case.username, authorize_query(case.client_id, challenge)
    )
    code = query_of(location)["code"]
    first = redeem(api, case.client_id, case.secret, code, verifier).json
    second = refresh(api, case.client_id, case.secret, first["refresh_token"]).json
    refresh(api, case.client_id, case.secret, first["refresh_token"])  # reuse, refused
    redeem(api, case.client_id, case.secret, code, verifier)  # a replay, refused and logged
    device_client, device_secret = make_client(
        name="Desk", redirect_uris=(), grant_types=(clients.DEVICE_GRANT, *CODE_AND_REFRESH[1:])
    )
    started = start_device(api, device_client.id, device_secret).json
    poll_device(api, device_client.id, device_secret, started["device_code"])
    answer_device(app.test_client(), case.username, started["user_code"])
    third = poll_device(api, device_client.id, device_secret, started["device_code"]).json
    api.get(f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(third["access_token"]))
    api.post(
        "/oauth/introspect",
        data={"token": third["access_token"]},
        headers=basic(device_client.id, device_secret),
    )
    api.post(
        "/oauth/revoke",
        data={"token": third["refresh_token"]},
        headers=basic(device_client.id, device_secret),
    )
    api.get("/api/v1/journal", headers=bearer(third["access_token"]))  # refused, logged

    secrets = {
        "password": PASSWORD,
        "client secret": case.secret,
        "device client secret": device_secret,
        "code": code,
        "verifier": verifier,
        "device code": started["device_code"],
        "user code": started["user_code"],
        **{
            f"{name} {kind}": answer[kind]
            for name, answer in (("code", first), ("refresh", second), ("device", third))
            for kind in ("access_token", "refresh_token")
        },
    }
    records = every_logger.records
    assert any(r.name.startswith("broker") for r in records)  # the capture really works
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records)
    for name, value in secrets.items():
        assert value not in logged, f"the {name} was logged"
    audit_rows = " ".join(
        " ".join(str(v) for v in (e.token_id, e.resource, e.actor, e.outcome))
        for e in db.session.scalars(db.select(AuditEvent))
    )
    for name, value in secrets.items():
        assert value not in audit_rows, f"the {name} is in the audit log"
