"""security.md 30: hostile input. Every form, JSON body, header and upload is parsed defensively:
CR/LF in `next`, deeply nested or lone-surrogate JSON, credentials that are not UTF-8, a file of
brackets, huge bodies. Each gets a 4xx with a clear error, changes nothing and leaves no
traceback; a request the guard already placed on a claimant's chain is still audited."""

from __future__ import annotations

import io
import json

import pytest

from broker.consent import clients
from broker.extensions import db
from broker.models import AccessToken, DeviceAuthorization, JournalEntry
from tests.conftest import csrf_from, sign_in
from tests.factories import bearer, issue_token, make_adviser, make_grant
from tests.oauth.helpers import (
    CODE_AND_REFRESH,
    authorize_query,
    basic,
    details,
    make_client,
    pkce_pair,
)

from .conftest import audit_trail

NESTED = "[" * 100_000 + "]" * 100_000
NESTED_FORM = "[" * 10_000 + "]" * 10_000  # deeper than Python's recursion limit, under 256 KiB
LONE_SURROGATE = '[{"type": "uc_journal_access", "purpose": "\\ud800", "relationship": "x"}]'
NOT_UTF8_BASIC = {"Authorization": "Basic /w=="}  # base64 of the single byte 0xff


@pytest.fixture(autouse=True)
def _no_tracebacks(caplog):  # noqa: ANN001, ANN202
    yield
    assert not [r for r in caplog.records if r.exc_info], "a request ended in a traceback"


def sign_in_then_go_to(client, case, target):  # noqa: ANN001, ANN201
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={
            "username": case.username,
            "password": "pw-for-tests",
            "next": target,
            "csrf_token": csrf_from(page.text),
        },
    )


@pytest.mark.parametrize("target", ["/access\r\nSet-Cookie: x=1", "/\n", "/\r", "/a\tb"])
def test_line_breaks_in_next_after_sign_in_land_on_a_local_page(client, case, target):
    response = sign_in_then_go_to(client, case, target)

    assert response.status_code == 303
    assert "\r" not in response.location and "\n" not in response.location
    assert response.location.startswith("/") and "Set-Cookie" not in response.location
    assert "x=1" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", ["/access\x00", "/\x7f", "/\x1b[2J"])
def test_other_control_characters_in_any_field_are_refused_before_the_view(client, case, target):
    response = sign_in_then_go_to(client, case, target)

    assert response.status_code == 400
    assert "Something was wrong with that request" in response.text
    assert client.get("/access").status_code in (302, 303)  # not signed in


@pytest.mark.parametrize("target", ["/access\r\nSet-Cookie: x=1", "/\r", "/a\x00"])
def test_control_characters_in_next_on_the_language_switch_change_nothing(client, target):
    page = client.get("/sign-in")

    response = client.post(
        "/language", data={"language": "cy", "next": target, "csrf_token": csrf_from(page.text)}
    )

    assert response.status_code in (303, 400)
    if response.status_code == 303:
        assert response.location == "/"
    else:
        assert "language=cy" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("raw", [NESTED, LONE_SURROGATE], ids=["nested", "lone-surrogate"])
def test_hostile_authorization_details_on_authorize_are_invalid_authorization_details(
    app, case, raw
):
    browser = app.test_client()
    sign_in(browser, case.username)
    _verifier, challenge = pkce_pair()

    response = browser.get(authorize_query(case.client_id, challenge, authorization_details=raw))

    assert response.status_code in (302, 303)
    assert "error=invalid_authorization_details" in response.location


@pytest.mark.parametrize("raw", [NESTED_FORM, LONE_SURROGATE], ids=["nested", "lone-surrogate"])
def test_hostile_authorization_details_on_device_authorization_are_refused(ctx, client, raw):
    desk, secret = make_client(
        name="Desk", redirect_uris=(), grant_types=(clients.DEVICE_GRANT, *CODE_AND_REFRESH[1:])
    )

    response = client.post(
        "/oauth/device_authorization",
        data={"scope": "mr:read", "authorization_details": raw},
        headers=basic(desk.id, secret),
    )

    assert response.status_code == 400
    assert response.json["error"] == "invalid_authorization_details"
    assert db.session.scalars(db.select(DeviceAuthorization)).all() == []


@pytest.fixture
def writer(case):  # noqa: ANN001, ANN201
    grant = make_grant(case.claimant, make_adviser(), "mr:request mr:read")
    token, jti = issue_token(grant)
    return token, jti


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000,
        NESTED,
        '{"decision_about": "\\ud800", "reasons": "x"}',
        '{"decision_about": "a\\u0000", "reasons": "x"}',
        b'{"decision_about": "\xff", "reasons": "x"}',
    ],
    ids=["unclosed", "nested", "lone-surrogate", "nul", "not-utf8"],
)
def test_a_hostile_mr_request_body_is_400_audited_and_lodges_nothing(client, case, writer, body):
    token, jti = writer
    entries = db.session.scalars(db.select(JournalEntry)).all()

    response = client.post(
        "/api/v1/mr-requests",
        data=body,
        headers={**bearer(token), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert db.session.scalars(db.select(JournalEntry)).all() == entries
    assert audit_trail(case.claimant_id)[-1] == ("mr.request", "refused:bad_request", jti)


@pytest.mark.parametrize(
    "endpoint",
    ["/oauth/token", "/oauth/revoke", "/oauth/introspect", "/oauth/device_authorization"],
)
def test_basic_credentials_that_are_not_utf8_are_invalid_client(client, case, tokens, endpoint):
    issued = len(db.session.scalars(db.select(AccessToken)).all())

    response = client.post(
        endpoint,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "token": tokens["access_token"],
            "scope": "mr:read",
            "authorization_details": details(),
        },
        headers=NOT_UTF8_BASIC,
    )

    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    assert len(db.session.scalars(db.select(AccessToken)).all()) == issued


def _upload(client, content: bytes):  # noqa: ANN001, ANN202
    page = client.get("/verify")
    return client.post(
        "/verify",
        data={"csrf_token": csrf_from(page.text), "file": (io.BytesIO(content), "s.json")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000, b"{" * 50_000, b'{"jws": "\\ud800"}', b"\x00\xff", b'{"jws": 1}'],
    ids=["brackets", "braces", "lone-surrogate", "binary", "wrong-type"],
)
def test_a_hostile_upload_to_verify_is_a_400_page_with_an_error(client, content):
    response = _upload(client, content)

    assert response.status_code in (200, 400)
    assert "govuk-error" in response.text or "Not valid" in response.text


def test_a_body_over_the_limit_is_413_with_a_clear_json_error(client, case, writer):
    token, _jti = writer

    response = client.post(
        "/api/v1/mr-requests",
        data=json.dumps({"decision_about": "x", "reasons": "y" * (2 * 1024 * 1024)}),
        headers={**bearer(token), "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json["error"] == "invalid_request"
    assert "too large" in response.json["error_description"]


def test_a_form_over_the_limit_is_413_with_a_page(client):
    response = client.post("/sign-in", data={"username": "x" * (2 * 1024 * 1024)})

    assert response.status_code == 413
    assert "too large" in response.text.lower()
