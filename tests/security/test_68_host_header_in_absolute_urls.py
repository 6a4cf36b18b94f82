"""Attack 68: a forged `Host` header steering an adviser to another server. The 202 for an MR
request waiting for the claimant names its status URL (`Location` and `status_url`); both are
built from the configured issuer (`BROKER_ISSUER`), never from the request's host."""

from __future__ import annotations

from flask import Flask

from tests.drafts.conftest import ABOUT, REASONS, people  # noqa: F401
from tests.factories import bearer


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
