"""Attack 73: reading the broker's metrics from outside, or learning about claimants from them.
/metrics does not exist until the operator sets BROKER_METRICS_TOKEN (404, like any unknown
page); with it set, only `Authorization: Bearer <that token>` is answered, compared in constant
time, anything else is 401 with a Bearer challenge and no metric; production refuses a token a
person could guess; and what it answers names kinds of things (URL rules, outcomes), never a
claimant, an account, a token or an address."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)
from tests.metrics.conftest import TOKEN
from tests.security.test_67_weak_production_settings_refused import production_app


def test_without_a_token_configured_there_is_no_metrics_page(app, monkeypatch):
    monkeypatch.setitem(app.config, "BROKER_METRICS_TOKEN", None)

    for headers in ({}, bearer(""), bearer("anything")):
        response = app.test_client().get("/metrics", headers=headers)
        assert response.status_code == 404
        assert "broker_" not in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("wrong"),
        bearer(TOKEN[:-1]),  # all but its last character
        bearer(TOKEN + "x"),
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        bearer("é" + TOKEN[1:]),  # not ASCII: refused, not a 500
    ],
)
def test_anything_but_the_operators_token_is_401_with_a_bearer_challenge(app, monkeypatch, headers):
    monkeypatch.setitem(app.config, "BROKER_METRICS_TOKEN", TOKEN)

    response = app.test_client().get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "broker_" not in response.text


def test_production_refuses_a_metrics_token_a_person_could_guess(tmp_path):
    for weak in ("metrics", "m" * 40, "metrics-token-" * 3):
        with pytest.raises(RuntimeError, match="BROKER_METRICS_TOKEN must"):
            production_app(tmp_path, BROKER_METRICS_TOKEN=weak)
    assert production_app(tmp_path, BROKER_METRICS_TOKEN=TOKEN)


def test_the_metrics_name_no_claimant_account_token_or_address(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "BROKER_METRICS_TOKEN", TOKEN)
    claimant = make_claimant("Morwenna Pencarrow")
    adviser = make_adviser("Tamsin Trelawney")
    token, jti = issue_token(make_grant(claimant, adviser, "mr:read"))
    decision = make_decision(claimant, subject="Limited capability for work")
    api = app.test_client()
    api.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))
    api.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token + "x"))
    browser = app.test_client()
    page = browser.get("/sign-in")
    browser.post(
        "/sign-in",
        data={
            "username": claimant.account.username,
            "password": "not-their-password",
            "csrf_token": csrf_from(page.text),
        },
        environ_base={"REMOTE_ADDR": "198.51.100.73"},
    )

    text = app.test_client().get("/metrics", headers=bearer(TOKEN)).text

    assert "broker_guarded_requests_total" in text
    for secret in (
        claimant.id,
        claimant.account.username,
        "Morwenna",
        "Pencarrow",
        "Trelawney",
        adviser.id,
        adviser.code,
        token,
        jti,
        str(decision.id),
        "Limited capability",
        "198.51.100.73",
    ):
        assert secret not in text, secret
