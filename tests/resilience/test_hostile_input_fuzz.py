"""security.md 30: every form and JSON endpoint, sent hostile input by whoever may reach it, answers
below 500 and changes nothing. Each POST route in the app is found from its URL map (a new one is
fuzzed without anyone listing it) and sent, in every field any form or OAuth endpoint reads:
NUL, CR/LF, a lone surrogate, bytes that are not UTF-8, JSON nested past Python's recursion limit,
a lone surrogate in JSON, and a body over the size limit; plus `Authorization: Basic /w==`
(not UTF-8) and, for the JSON API, the same as JSON bodies."""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from sqlalchemy import inspect as schema
from sqlalchemy import text
from wtforms.fields.core import UnboundField

from broker.extensions import db
from broker.web import forms
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    PASSWORD,
    bearer,
    bound,
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
    make_staff,
)

# What a request may change even when it is refused: its own audit event and counted failures.
MAY_CHANGE = re.compile(r"^(audit_|checkpoint_|attempts$|alembic_)|session")
OAUTH_FIELDS = (
    "grant_type code code_verifier redirect_uri refresh_token token token_type_hint device_code"
    " client_id client_secret scope authorization_details state response_type code_challenge"
    " code_challenge_method language"
).split()
NESTED = "[" * 5_000 + "]" * 5_000
HOSTILE = {
    "nul": "a\x00b",
    "crlf": "/x\r\nSet-Cookie: stolen=1",
    "lone-surrogate-json": '[{"type": "uc_journal_access", "purpose": "\\ud800"}]',
    "nested-json": NESTED,
    "control": "\x1b[2J\x7f\x08",
}
RAW_BODIES = {
    "not-utf8": b"username=%ff%fe&next=%ed%a0%80&scope=%c0%af",
    "huge": b"x=" + b"y" * (300 * 1024),
}
JSON_BODIES = {
    "nested": NESTED.encode(),
    "lone-surrogate": b'{"decision_about": "\\ud800", "reasons": "x"}',
    "nul": b'{"decision_about": "a\\u0000", "reasons": "x"}',
    "not-utf8": b'{"decision_about": "\xff", "reasons": "x"}',
    "huge": b'{"reasons": "' + b"y" * (300 * 1024) + b'"}',
}


def _form_fields() -> list[str]:
    names: set[str] = set(OAUTH_FIELDS)
    for _name, cls in inspect.getmembers(forms, inspect.isclass):
        if issubclass(cls, FlaskForm):
            for klass in cls.__mro__:
                names |= {k for k, v in vars(klass).items() if isinstance(v, UnboundField)}
    return sorted(names - {"csrf_token", "file"})


def _snapshot() -> dict[str, str]:
    """A digest of the rows of each table a refused request must leave alone."""
    db.session.rollback()
    digests = {}
    for table in sorted(schema(db.engine).get_table_names()):
        if MAY_CHANGE.search(table):
            continue
        rows = db.session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
        digests[table] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    db.session.rollback()
    return digests


@pytest.fixture
def world(app: Flask, ctx) -> dict[str, object]:  # noqa: ANN001
    from broker import clock
    from broker.people import accounts

    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, adviser, "mr:read mr:request journal:read")
    staff = make_staff()
    admin = accounts.create_account(
        "robin@broker.example", PASSWORD, "admin", "Robin Admin", clock.now(), hasher=bound().hasher
    )
    db.session.commit()
    token, _jti = issue_token(grant)
    return {
        "claimant": claimant.account.username,
        "adviser": adviser.account.username,
        "staff": staff.account.username,
        "admin": admin.username,
        "grant_id": grant.id,
        "reference": claimant.reference,
        "note_id": "00000000-0000-4000-8000-000000000000",
        "check_id": "00000000-0000-4000-8000-000000000000",  # issue 15: no such caller check
        "notice_id": "00000000-0000-4000-8000-000000000000",
        "draft_id": "00000000-0000-4000-8000-000000000000",  # issue 16: no such draft
        "passkey_id": "00000000-0000-4000-8000-000000000000",  # issue 17: no such passkey
        "request_id": "00000000-0000-4000-8000-000000000000",  # issue 23: no such request
        "organisation_id": adviser.organisation_id,  # issue 25: the admin suspends it
        "adviser_id": adviser.id,  # issue 25: not an organisation admin's, so 403
        "topic": "todos",  # issue 27: a watch on to-dos (the grant has no todo:read)
        "line": "999999",  # issue 27: no such history line, so no dispute
        "dispute_id": "00000000-0000-4000-8000-000000000000",  # issue 27: no such dispute
        "token": token,
    }


def _who(path: str) -> str | None:
    for prefix, role in (
        ("/staff", "staff"),
        ("/admin", "admin"),
        ("/adviser", "adviser"),
        ("/organisation", "adviser"),
        ("/access", "claimant"),
        ("/contact", "claimant"),
        ("/who-is-calling", "claimant"),
        ("/drafts", "claimant"),
        ("/device", "claimant"),
        ("/authorize", "claimant"),
        ("/account", "claimant"),
        ("/history", "claimant"),
    ):
        if path.startswith(prefix):
            return role
    return None


def _post_routes(app: Flask, world: dict[str, object]) -> Iterator[tuple[str, str | None]]:
    # Routes that act on a CSRF token alone (stop access, sign out, suspend an organisation) go
    # last: they may do their one job, and everything else is fuzzed while the grant and the
    # sessions are still live.
    last = re.compile(r"/(revoke|stop|stop-all|sign-out|give-up|suspend)$")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (bool(last.search(r.rule)), r.rule)):
        if "POST" not in rule.methods:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(world[m.group(1)]), rule.rule)
        yield path, _who(path)


def _browser(app: Flask, world: dict[str, object], role: str | None) -> tuple[FlaskClient, str]:
    browser = app.test_client()
    if role is not None:
        sign_in(browser, str(world[role]))
    page = browser.get("/sign-in" if role is None else "/")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if match is None:  # a signed-in home page without a form: the sign-in page has one
        page = browser.get("/verify")
    return browser, csrf_from(page.text)


def test_every_form_and_json_endpoint_refuses_hostile_input_without_a_500_or_a_change(
    app: Flask, world, caplog
):
    """A refusal (4xx) changes nothing; a request that needs nothing but its CSRF token (stop
    access, sign out) may still do its one job, whatever else the form held."""
    fields = _form_fields()
    routes = list(_post_routes(app, world))
    assert len(routes) >= 25  # every POST route, found from the URL map
    browsers = {role: _browser(app, world, role) for role in {r for _p, r in routes}}
    answers: list[tuple[str, str, int]] = []
    changed: list[tuple[str, str, int, str]] = []
    state = _snapshot()

    def send(path: str, name: str, browser: FlaskClient, **request: object) -> None:
        nonlocal state
        response = browser.post(path, **request)
        answers.append((path, name, response.status_code))
        now = _snapshot()
        if response.status_code >= 400:
            changed.extend(
                (path, name, response.status_code, t) for t in state if state[t] != now.get(t)
            )
        state = now

    for path, role in routes:
        browser, csrf = browsers[role]
        for name, value in HOSTILE.items():
            form = {field: value for field in fields} | {"csrf_token": csrf}
            send(path, name, browser, data=form)
            send(path, f"{name}+basic", browser, data=form, headers={"Authorization": "Basic /w=="})
        for name, raw in RAW_BODIES.items():
            send(path, name, browser, data=raw, content_type="application/x-www-form-urlencoded")
        if path.startswith("/api/"):
            for name, raw in JSON_BODIES.items():
                headers = {**bearer(str(world["token"])), "Content-Type": "application/json"}
                send(path, f"json-{name}", browser, data=raw, headers=headers)

    assert [a for a in answers if a[2] >= 500] == []
    assert not [r for r in caplog.records if r.exc_info], "a request ended in a traceback"
    assert changed == []  # no refused request changed anything
    assert {400, 401, 413} <= {status for _p, _n, status in answers}


def test_huge_json_and_form_bodies_are_413_with_a_clear_error(client, world):
    api = client.post(
        "/api/v1/mr-requests",
        data=JSON_BODIES["huge"],
        headers={**bearer(str(world["token"])), "Content-Type": "application/json"},
    )
    token = client.post("/oauth/token", data=RAW_BODIES["huge"])

    for response in (api, token):
        assert response.status_code == 413
        assert response.json["error"] == "invalid_request"
        assert "too large" in response.json["error_description"]
    assert json.loads(api.data)  # a JSON answer, not a page
