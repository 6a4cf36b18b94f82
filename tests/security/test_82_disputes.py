"""security.md 82: "This wasn't right" cannot be used on another claimant's line, forged, sent
empty, or made to leak the claimant's words; opening one stops the disputed access at once."""

from __future__ import annotations

import logging

import pytest

from broker.extensions import db
from broker.models import AuditEvent, Dispute, OutboxMessage
from tests.conftest import sign_in
from tests.factories import bearer, issue_token, make_adviser, make_claimant, make_grant
from tests.staff.helpers import post_form

WORDS = "Somebody I do not know read my journal"


@pytest.fixture
def alex(app, ctx):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    return claimant, phone


def _line(grant) -> AuditEvent:  # noqa: ANN001
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.grant_id == grant.id)).first()


def test_another_claimants_line_is_404_and_nothing_is_paused(alex):
    _claimant, phone = alex
    theirs = make_grant(make_claimant("Sam Other"), make_adviser())

    answer = post_form(
        phone, f"/history/lines/{_line(theirs).id}/wrong", {"words": WORDS}, "/history"
    )

    assert answer.status_code == 404
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Dispute)) == 0
    assert db.session.get(type(theirs), theirs.id).status == "active"


def test_a_forged_post_is_refused(alex):
    claimant, phone = alex
    grant = make_grant(claimant, make_adviser())

    answer = phone.post(f"/history/lines/{_line(grant).id}/wrong", data={"words": WORDS})

    assert answer.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Dispute)) == 0


def test_invisible_words_pause_nothing(alex):
    claimant, phone = alex
    grant = make_grant(claimant, make_adviser())

    answer = post_form(phone, f"/history/lines/{_line(grant).id}/wrong", {"words": "\u200b\u2060"})

    assert answer.status_code == 400
    db.session.expire_all()
    assert db.session.get(type(grant), grant.id).status == "active"


def test_the_token_stops_and_the_words_stay_out_of_the_audit_logs_and_the_adviser(
    alex, client, caplog
):
    claimant, phone = alex
    adviser = make_adviser()
    grant = make_grant(claimant, adviser)
    token, _jti = issue_token(grant)

    with caplog.at_level(logging.DEBUG):
        post_form(phone, f"/history/lines/{_line(grant).id}/wrong", {"words": WORDS})

    assert client.get("/api/v1/mr-decisions", headers=bearer(token)).status_code == 401
    assert WORDS not in caplog.text
    events = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.claimant_id == claimant.id)
    ).all()
    assert not any(WORDS in f"{e.action} {e.resource} {e.outcome}" for e in events)
    told = db.session.scalars(
        db.select(OutboxMessage.body).where(OutboxMessage.account_id == adviser.id)
    ).all()
    assert told and not any(WORDS in body for body in told)
