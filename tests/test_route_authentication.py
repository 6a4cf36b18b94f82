"""Every endpoint is either guarded (sign-in with a role, a bearer token, or client
authentication) or on the short public allowlist. A new unguarded route fails this test."""

from __future__ import annotations

import re

from flask import Flask

# Blueprints whose every route is behind a role check registered at blueprint level.
# contact: the letters inbox and preferences (claimant); staff_letters: letters from the record.
# account: every signed-in account's own sign-in settings and passkeys (issue 17).
# nominated, staff_contacts: a nominated contact's address and requests to be one (issue 23).
# organisation: an organisation admin's pages (advisers; the admin flag is checked in each view).
ROLE_GUARDED = {
    "claimant",
    "notices",
    "adviser",
    "staff",
    "admin",
    "contact",
    "staff_letters",
    "account",
    "nominated",
    "staff_contacts",
    "staff_disputes",  # issue 27: the claimants' disputes list
    "evidence_bundles",  # issue 27: an adviser's evidence bundles
    "organisation",
}
# Blueprints that authenticate each request themselves (bearer tokens or OAuth client auth):
# each of their routes must answer an anonymous request with 400/401/403/405, never data.
SELF_GUARDED = {"api", "staff_api"}
# Blueprints for the operator alone, behind a token from the settings (security.md 73): with none
# configured they do not exist (404); with one, anything else is 401.
TOKEN_GUARDED = {"metrics": "BROKER_METRICS_TOKEN"}


def test_every_endpoint_is_guarded_or_explicitly_public(app: Flask):
    from broker.web import public_endpoints

    unguarded = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if rule.endpoint in public_endpoints() or blueprint in ROLE_GUARDED | SELF_GUARDED:
            continue
        if blueprint in TOKEN_GUARDED:  # checked below
            continue
        if blueprint in ("oauth", "consent", "auth"):
            continue  # checked below: public by design, each one listed
        unguarded.append(rule.endpoint)
    assert unguarded == []


def test_role_guarded_pages_send_anonymous_visitors_to_sign_in(app: Flask):
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint not in ROLE_GUARDED or "GET" not in rule.methods:
            continue
        path = re.sub(r"<[^>]+>", "00000000-0000-0000-0000-000000000000", rule.rule)
        response = client.get(path)
        assert response.status_code == 303, rule.rule
        assert response.headers["Location"].startswith("/sign-in"), rule.rule


def test_api_routes_refuse_anonymous_requests(app: Flask):
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint not in SELF_GUARDED or rule.endpoint.endswith("openapi"):
            continue
        path = re.sub(r"<[^>]+>", "00000000-0000-0000-0000-000000000000", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code in (400, 401, 403), (method, rule.rule)


def test_operator_routes_are_404_without_their_token_set_and_401_without_it_sent(
    app: Flask, monkeypatch
):
    client = app.test_client()
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.rpartition(".")[0] in TOKEN_GUARDED]
    assert rules
    for rule in rules:
        setting = TOKEN_GUARDED[rule.endpoint.rpartition(".")[0]]
        monkeypatch.setitem(app.config, setting, None)
        assert client.get(rule.rule).status_code == 404, rule.rule
        monkeypatch.setitem(app.config, setting, "Zq4-h8Ty2Lm_w9KxB3nVpR6sJd1GcFe7")
        assert client.get(rule.rule).status_code == 401, rule.rule


def test_a_signed_in_adviser_cannot_open_claimant_or_staff_pages(app: Flask, ctx):
    from tests.conftest import sign_in
    from tests.factories import make_adviser

    client = app.test_client()
    sign_in(client, make_adviser().account.username)

    assert client.get("/access").status_code == 403
    assert client.get("/staff/").status_code == 403
    assert client.get("/").status_code == 303  # home sends each role to its own start page
