"""Attack 68: a forged `Host` header steering an adviser to another server. The 202 for an MR
request waiting for the claimant names its status URL (`Location` and `status_url`), the
adviser's statement page its `/verify` link; all are built from the configured issuer
(`BROKER_ISSUER`), never from the request's host."""

from __future__ import annotations

from flask import Flask

from tests.conftest import csrf_from, sign_in
from tests.drafts.conftest import ABOUT, REASONS, people  # noqa: F401
from tests.factories import bearer
from tests.staff.helpers import text_of


def test_a_forged_host_header_does_not_reach_the_status_url(app: Flask, people):  # noqa: F811
    answer = app.test_client().post(
        "/api/v1/mr-requests",
        headers={**bearer(people.token), "Host": "evil.example"},
        json={"decision_about": ABOUT, "reasons": REASONS},
    )

    assert answer.status_code == 202
    wanted = f"http://broker.test/api/v1/mr-drafts/{answer.json['draft_id']}"
    assert answer.json["status_url"] == wanted
    assert answer.headers["Location"] == wanted
    assert "evil.example" not in answer.get_data(as_text=True)


def test_a_forged_host_header_does_not_reach_the_statement_pages_verify_link(
    app: Flask,
    people,  # noqa: F811
):
    sealed = app.test_cli_runner().invoke(args=["checkpoint", "--force"])
    assert sealed.exit_code == 0, sealed.output
    browser = app.test_client()
    sign_in(browser, people.adviser.account.username)
    path = f"/adviser/clients/{people.grant.id}/statement"
    form = {"csrf_token": csrf_from(browser.get(path).text), "date_from": "2000-01-01"}
    # The browser's own cookies, sent to a server it reached as evil.example.
    cookie = "; ".join(f"{c.key}={c.value}" for c in browser._cookies.values())
    shown = app.test_client(use_cookies=False).post(
        path,
        data={**form, "date_to": "2100-01-01"},
        headers={"Host": "evil.example", "Cookie": cookie},
    )

    assert shown.status_code == 200, text_of(shown.text)[-1500:]
    assert "http://broker.test/verify" in shown.text
    assert "evil.example" not in shown.text
