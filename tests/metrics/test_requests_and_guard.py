"""Requests are counted by their URL rule and status, with their time; guarded API requests by
the scope's access and the outcome the guard audits; an audit event that cannot be written is
counted, and the request it belonged to is counted as an error."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from broker.extensions import db
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)

from .conftest import moved, sample


def test_a_request_is_counted_under_its_url_rule_never_its_path(app, ctx, scrape):
    token = secrets.token_urlsafe(32)  # a link nobody was sent: the rule matches, the link not
    rule = "/invitations/<token>"
    before = {
        status: moved("broker_http_requests_total", method="GET", route=rule, status=status)
        for status in ("200", "400", "404")
    }
    timed = moved("broker_http_request_duration_seconds_count", method="GET", route=rule)

    response = app.test_client().get(f"/invitations/{token}")

    assert {status: counted() for status, counted in before.items()} == {
        status: float(status == str(response.status_code)) for status in before
    }
    assert timed() == 1
    assert token not in scrape()


def test_a_path_no_rule_matches_is_counted_as_unmatched_and_a_made_up_method_as_other(app):
    unmatched = moved("broker_http_requests_total", method="GET", route="unmatched", status="404")
    # A method no rule takes matches no rule either: also "unmatched", whatever the path.
    other = moved("broker_http_requests_total", method="other", route="unmatched", status="405")

    app.test_client().get("/no/such/page/" + secrets.token_hex(8))
    app.test_client().open("/healthz", method="BREW")

    assert unmatched() == 1
    assert other() == 1


@pytest.fixture
def reader(ctx):  # noqa: ANN001, ANN201
    """An adviser's token that may read MR decisions but not request one, and a decision."""
    claimant = make_claimant()
    token, _jti = issue_token(make_grant(claimant, make_adviser(), "mr:read"))
    return token, make_decision(claimant)


def test_guarded_reads_and_writes_are_counted_by_outcome(app, reader):
    token, decision = reader
    api = app.test_client()
    allowed = moved("broker_guarded_requests_total", access="read", outcome="allowed")
    no_token = moved("broker_guarded_requests_total", access="read", outcome="refused:no_token")
    bad_token = moved("broker_guarded_requests_total", access="read", outcome="refused:token")
    scope = moved("broker_guarded_requests_total", access="write", outcome="refused:scope")

    assert api.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token)).status_code == 200
    assert api.get(f"/api/v1/mr-decisions/{decision.id}").status_code == 401
    assert (
        api.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer("x.y.z")).status_code == 401
    )
    written = api.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": "LCW", "reasons": "The decision is wrong."},
    )

    assert written.status_code == 403
    assert (allowed(), no_token(), bad_token(), scope()) == (1, 1, 1, 1)


REFUSE_SQLITE = (
    "CREATE TRIGGER metrics_test_refuse_audit BEFORE INSERT ON audit_events"
    " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
)
REFUSE_POSTGRES = (
    "CREATE FUNCTION metrics_test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;"
    " CREATE TRIGGER metrics_test_refuse_audit BEFORE INSERT ON audit_events"
    " FOR EACH ROW EXECUTE FUNCTION metrics_test_refuse_audit()"
)


@pytest.fixture
def audit_refused(ctx) -> Iterator[None]:  # noqa: ANN001
    """The database itself refuses every new audit event (a real failure, not a stand-in)."""
    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.begin() as conn:
        conn.execute(text(REFUSE_POSTGRES if postgres else REFUSE_SQLITE))
    yield
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "DROP TRIGGER metrics_test_refuse_audit" + (" ON audit_events" if postgres else "")
            )
        )
        if postgres:
            conn.execute(text("DROP FUNCTION metrics_test_refuse_audit()"))


def test_an_audit_event_that_cannot_be_written_is_counted_and_the_read_is_an_error(
    app, reader, audit_refused
):
    token, decision = reader
    failures = moved("broker_audit_write_failures_total")
    errors = moved("broker_guarded_requests_total", access="read", outcome="error")
    allowed = moved("broker_guarded_requests_total", access="read", outcome="allowed")

    response = app.test_client().get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))

    assert response.status_code >= 500
    assert decision.subject not in response.text
    assert failures() == 1
    assert (errors(), allowed()) == (1, 0)


def test_no_failure_is_counted_when_the_audit_is_written(app, reader):
    token, decision = reader
    failures = sample("broker_audit_write_failures_total")

    response = app.test_client().get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))

    assert response.status_code == 200
    assert sample("broker_audit_write_failures_total") == failures
